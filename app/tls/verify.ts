/**
 * Certificate verification on the LAB clock (docs/lab.md, "Time": never by OpenSSL against the wall clock).
 *
 * Our sender connects with `rejectUnauthorized: false` and hands the peer chain here. Checks, in
 * this order, the first failure being the reason reported:
 *
 *   1. trust   — a path from the leaf through certificates the peer sent (each a CA, RFC 5280
 *                §4.2.1.9) to a certificate of the trust store, every link checked by name
 *                (`checkIssued`) and by signature (`verify(publicKey)`). A leaf that signed itself
 *                is `self-signed`; any other path that ends outside the store is `untrusted`.
 *   2. dates   — every certificate of that path, inclusive bounds (RFC 5280 §4.1.2.5), on `now`.
 *   3. name    — when reference identifiers are given (RFC 6125 §6): DNS-ID in subjectAltName,
 *                CN only when there is no DNS-ID (§6.4.4); a wildcard only as the whole left-most
 *                label and matching exactly one label (§6.4.3; no partial `f*.example`).
 *
 * Order: trust before dates before names, so a self-signed expired certificate reports
 * "self-signed" — the most fundamental defect first. (OpenSSL checks names before dates; the lab
 * issues each variant with a single defect, so the order only matters for hand-made chains.)
 *
 * Decoders never throw on hostile bytes: a chain we cannot parse is `untrusted`.
 */
import { X509Certificate } from 'node:crypto';
import { pemToDer } from './certs.ts';

export type VerifyFailureReason = 'expired' | 'not-yet-valid' | 'untrusted' | 'self-signed' | 'name-mismatch';

export type VerifyResult =
  | { ok: true; detail: string }
  | { ok: false; reason: VerifyFailureReason; detail: string };

export interface VerifyOptions {
  /** PEM texts of trusted certificates (each may hold several). */
  trust: readonly string[];
  /** Lab time, ms since epoch. */
  now: number;
  /**
   * Reference identifiers; the certificate must match at least one. A leading dot (`.ntsol.example`)
   * accepts any name below that domain (Postfix's `dot-nexthop`). Omitted: no name check.
   */
  name?: string | readonly string[];
}

const MAX_DEPTH = 8;

export function parseChain(chainDer: readonly Buffer[]): X509Certificate[] | undefined {
  try {
    return chainDer.map((der) => new X509Certificate(der));
  } catch {
    return undefined;
  }
}

export function validity(cert: X509Certificate): { notBefore: number; notAfter: number } {
  return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
}

/** The CN of a subject or issuer, for messages. */
export function commonName(dn: string): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1] ?? dn.replace(/\n/g, ', ');
}

/** dNSName entries of subjectAltName, lowercased. */
export function dnsNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  return san
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).replace(/^"|"$/g, '').toLowerCase());
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/**
 * Signed by its own key under its own name. Not `checkIssued(self)`: OpenSSL's issuer check also
 * wants keyCertSign, which a self-signed server certificate does not carry.
 */
export function isSelfSigned(cert: X509Certificate): boolean {
  try {
    return cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

type PathResult = { ok: true; path: X509Certificate[]; anchor: X509Certificate } | { ok: false; reason: 'untrusted' | 'self-signed'; detail: string };

/** Find a path leaf → … → trust anchor using only the certificates the peer sent (RFC 5280 §6.1). */
export function buildPath(chain: X509Certificate[], anchors: X509Certificate[]): PathResult {
  const leaf = chain[0];
  const path: X509Certificate[] = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    // The certificate itself may be an anchor (a CA presenting its own certificate).
    const self = anchors.find((a) => a.fingerprint256 === current.fingerprint256);
    if (self) return { ok: true, path, anchor: self };
    const anchor = anchors.find((a) => issuedBy(current, a));
    if (anchor) return { ok: true, path: [...path, anchor], anchor };
    const next = chain.find((c) => c !== current && !path.includes(c) && c.ca && issuedBy(current, c));
    if (!next) {
      if (isSelfSigned(current)) {
        return current === leaf
          ? { ok: false, reason: 'self-signed', detail: `self-signed certificate for ${commonName(leaf.subject)}` }
          : { ok: false, reason: 'untrusted', detail: `root "${commonName(current.subject)}" is not in the lab trust store` };
      }
      return { ok: false, reason: 'untrusted', detail: `issuer "${commonName(current.issuer)}" is unknown (not sent by the peer, not in the lab trust store)` };
    }
    path.push(next);
    current = next;
  }
  return { ok: false, reason: 'untrusted', detail: `chain longer than ${MAX_DEPTH}` };
}

/** Check validity dates of every certificate in `path` at lab time `now`. */
export function checkDates(path: X509Certificate[], now: number): VerifyResult {
  for (const cert of path) {
    const { notBefore, notAfter } = validity(cert);
    const who = commonName(cert.subject);
    if (!(now >= notBefore)) return { ok: false, reason: 'not-yet-valid', detail: `certificate for ${who} is not valid before ${new Date(notBefore).toISOString()} (lab time ${new Date(now).toISOString()})` };
    if (!(now <= notAfter)) return { ok: false, reason: 'expired', detail: `certificate for ${who} expired at ${new Date(notAfter).toISOString()} (lab time ${new Date(now).toISOString()})` };
  }
  return { ok: true, detail: 'dates valid' };
}

/** A wildcard or plain DNS-ID under `suffix` (for `.domain` reference identifiers). */
function isBelow(presented: string, suffix: string): boolean {
  const name = presented.startsWith('*.') ? presented.slice(2) : presented;
  return presented.startsWith('*.') ? name === suffix || name.endsWith(`.${suffix}`) : name.endsWith(`.${suffix}`);
}

/** RFC 6125 §6.4 match of one reference identifier (see VerifyOptions.name for the dot form). */
export function matchesName(cert: X509Certificate, reference: string): boolean {
  const ref = reference.toLowerCase().replace(/\.$/, '');
  if (ref.startsWith('.')) {
    const suffix = ref.slice(1);
    const presented = dnsNames(cert);
    const candidates = presented.length > 0 ? presented : [commonName(cert.subject).toLowerCase()];
    return candidates.some((p) => isBelow(p, suffix));
  }
  try {
    return (
      cert.checkHost(ref, {
        subject: 'default', // CN only without a DNS-ID (§6.4.4)
        wildcards: true,
        partialWildcards: false,
        multiLabelWildcards: false,
        singleLabelSubdomains: false,
      }) !== undefined
    );
  } catch {
    return false;
  }
}

export function checkNames(leaf: X509Certificate, names: readonly string[]): VerifyResult {
  if (names.some((n) => matchesName(leaf, n))) return { ok: true, detail: 'name matches' };
  const presented = dnsNames(leaf);
  const shown = presented.length > 0 ? presented.join(', ') : `CN=${commonName(leaf.subject)}`;
  return { ok: false, reason: 'name-mismatch', detail: `certificate is for ${shown}, expected ${names.join(' or ')}` };
}

function anchorsFrom(trust: readonly string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of trust) {
    for (const der of pemToDer(pem)) {
      const parsed = parseChain([der]);
      if (parsed) out.push(parsed[0]);
    }
  }
  return out;
}

export function verifyChain(chainDer: readonly Buffer[], options: VerifyOptions): VerifyResult {
  if (chainDer.length === 0) return { ok: false, reason: 'untrusted', detail: 'the peer sent no certificate' };
  const chain = parseChain(chainDer);
  if (!chain) return { ok: false, reason: 'untrusted', detail: 'the peer certificate could not be parsed' };

  const built = buildPath(chain, anchorsFrom(options.trust));
  if (!built.ok) return built;
  const dates = checkDates(built.path, options.now);
  if (!dates.ok) return dates;
  if (options.name !== undefined) {
    const names = typeof options.name === 'string' ? [options.name] : options.name;
    const named = checkNames(chain[0], names);
    if (!named.ok) return named;
  }
  return { ok: true, detail: `trusted chain to ${commonName(built.anchor.subject)}` };
}
