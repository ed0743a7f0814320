/**
 * DANE for SMTP (RFC 7672) over TLSA records (RFC 6698), on the lab clock.
 *
 * What the zone's DNSSEC state and the records mean for a sender (RFC 7672 §2.2):
 *
 *   zone bogus                          → `bogus`: the lookup failed validation; do not deliver
 *   zone insecure, or no records        → `none`: DANE does not apply (pre-DANE opportunistic TLS)
 *   zone secure, no record usable       → `all-unusable`: TLS is mandatory but unauthenticated
 *   zone secure, at least one usable    → `usable`: DANE-authenticated TLS, never cleartext
 *
 * Usable for SMTP (RFC 7672 §3.1.3): usage DANE-TA(2) or DANE-EE(3), selector 0 (full
 * certificate) or 1 (SubjectPublicKeyInfo), matching type 0 (exact), 1 (SHA-256), 2 (SHA-512);
 * a digest of the wrong length (RFC 6698 §2.1.3) can never match, so it is unusable too. PKIX-TA(0)
 * and PKIX-EE(1) are unusable: SMTP has no agreed set of public CAs.
 *
 * DANE-EE(3) authenticates by the leaf alone and ignores names and validity dates (RFC 7672
 * §3.1.1). DANE-TA(2) makes a certificate of the chain (or a bare key, `2 1 0`, RFC 7671 §5.2.3)
 * the trust anchor; the chain below it is then checked as usual: signatures, dates (as OpenSSL's
 * DANE support does), and names (RFC 7672 §3.2.2: the MX host name, and the nexthop domain).
 */
import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { checkDates, checkNames, commonName, parseChain } from './verify.ts';

export type ZoneState = 'secure' | 'insecure' | 'bogus';

export interface TlsaRecord {
  usage: number;
  selector: number;
  mtype: number;
  data: Buffer;
}

export type DaneState = 'bogus' | 'none' | 'all-unusable' | 'usable';

export interface DaneVerdict {
  mode: 'dane-authenticated' | 'no-usable-tlsa' | 'bogus';
  /** For `dane-authenticated`: a usable record matched the peer. Otherwise false. */
  ok: boolean;
  reason?: string;
  /** The record that matched, in presentation form. */
  matched?: string;
}

export interface DaneCheckInput {
  records: readonly TlsaRecord[];
  zone: ZoneState;
  chainDer: readonly Buffer[];
  /** Lab time, ms since epoch (used for DANE-TA only). */
  now: number;
  /** Reference identifiers for DANE-TA: the MX host name first, then the nexthop domain. */
  names: readonly string[];
}

/** Presentation form, RFC 6698 §2.2: `3 1 1 0a1b…` (whitespace inside the hex allowed). */
export function parseTlsa(text: string): { ok: true; record: TlsaRecord } | { ok: false; error: string } {
  const m = /^\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s+([0-9a-fA-F\s]*)$/.exec(text);
  if (!m) return { ok: false, error: `not a TLSA record: "${text.slice(0, 80)}"` };
  const [usage, selector, mtype] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (usage > 255 || selector > 255 || mtype > 255) return { ok: false, error: 'TLSA fields are 8-bit values' };
  const hex = m[4].replace(/\s+/g, '');
  if (hex.length === 0 || hex.length % 2 !== 0) return { ok: false, error: 'TLSA data must be an even, non-empty number of hex digits' };
  return { ok: true, record: { usage, selector, mtype, data: Buffer.from(hex, 'hex') } };
}

export function formatTlsa(record: TlsaRecord): string {
  return `${record.usage} ${record.selector} ${record.mtype} ${record.data.toString('hex')}`;
}

const digestLength: Record<number, number> = { 1: 32, 2: 64 };

/** Why a record cannot be used for SMTP, or undefined when it can (RFC 7672 §3.1.3). */
export function unusableBecause(record: TlsaRecord): string | undefined {
  if (record.usage === 0 || record.usage === 1) return `usage ${record.usage} (PKIX) is not usable for SMTP`;
  if (record.usage !== 2 && record.usage !== 3) return `unknown usage ${record.usage}`;
  if (record.selector !== 0 && record.selector !== 1) return `unknown selector ${record.selector}`;
  if (record.mtype !== 0 && record.mtype !== 1 && record.mtype !== 2) return `unknown matching type ${record.mtype}`;
  const want = digestLength[record.mtype];
  if (want !== undefined && record.data.length !== want) return `matching type ${record.mtype} needs ${want} bytes, got ${record.data.length}`;
  return undefined;
}

export function daneState(records: readonly TlsaRecord[], zone: ZoneState): DaneState {
  if (zone === 'bogus') return 'bogus';
  if (zone === 'insecure' || records.length === 0) return 'none';
  return records.some((r) => unusableBecause(r) === undefined) ? 'usable' : 'all-unusable';
}

/** The bytes a selector picks (RFC 6698 §2.1.2). */
function selected(cert: X509Certificate, selector: number): Buffer {
  return selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
}

/** Apply the matching type (RFC 6698 §2.1.3). */
function associate(bytes: Buffer, mtype: number): Buffer {
  if (mtype === 1) return createHash('sha256').update(bytes).digest();
  if (mtype === 2) return createHash('sha512').update(bytes).digest();
  return bytes;
}

function matches(record: TlsaRecord, cert: X509Certificate): boolean {
  return associate(selected(cert, record.selector), record.mtype).equals(record.data);
}

/** Build the record that pins `certPem` (the first certificate of the PEM). */
export function tlsaFor(certPem: string, usage: number, selector: number, mtype: number): TlsaRecord {
  const cert = new X509Certificate(certPem);
  return { usage, selector, mtype, data: associate(selected(cert, selector), mtype) };
}

function bareKey(record: TlsaRecord): KeyObject | undefined {
  if (record.selector !== 1 || record.mtype !== 0) return undefined;
  try {
    return createPublicKey({ key: record.data, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

function linked(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/** DANE-TA: find the anchor, then check the path below it. Returns a failure text or undefined. */
function checkTrustAnchor(record: TlsaRecord, chain: X509Certificate[], input: DaneCheckInput): string | undefined {
  // Index of the highest certificate that must chain down to the leaf.
  let top = -1;
  for (let i = 1; i < chain.length && top < 0; i++) if (matches(record, chain[i])) top = i;
  const key = top < 0 ? bareKey(record) : undefined;
  if (top < 0 && key) {
    // `2 1 0`: the anchor is a key that may not be in the chain; the topmost cert it signed counts.
    for (let i = chain.length - 1; i >= 0 && top < 0; i--) {
      try {
        if (chain[i].verify(key)) top = i;
      } catch {
        // not signed by this key
      }
    }
  }
  if (top < 0) return 'no certificate of the chain matches';
  for (let i = 0; i < top; i++) {
    if (!linked(chain[i], chain[i + 1])) return `${commonName(chain[i].subject)} is not issued by ${commonName(chain[i + 1].subject)}`;
  }
  const dates = checkDates(chain.slice(0, top + 1), input.now);
  if (!dates.ok) return dates.detail;
  const named = checkNames(chain[0], input.names);
  return named.ok ? undefined : named.detail;
}

export function daneCheck(input: DaneCheckInput): DaneVerdict {
  const state = daneState(input.records, input.zone);
  switch (state) {
    case 'bogus':
      return { mode: 'bogus', ok: false, reason: 'DNSSEC validation of the TLSA records failed' };
    case 'none':
      return { mode: 'no-usable-tlsa', ok: false, reason: input.zone === 'insecure' ? 'TLSA zone is not signed' : 'no TLSA records' };
    case 'all-unusable':
      return { mode: 'no-usable-tlsa', ok: false, reason: input.records.map((r) => unusableBecause(r)).join('; ') };
    case 'usable':
      break;
  }
  const chain = parseChain(input.chainDer);
  if (!chain || chain.length === 0) return { mode: 'dane-authenticated', ok: false, reason: 'no parsable certificate from the peer' };
  const failures: string[] = [];
  for (const record of input.records) {
    if (unusableBecause(record) !== undefined) continue;
    const text = formatTlsa(record);
    if (record.usage === 3) {
      if (matches(record, chain[0])) return { mode: 'dane-authenticated', ok: true, matched: text };
      failures.push(`${text}: the server certificate does not match`);
    } else {
      const why = checkTrustAnchor(record, chain, input);
      if (why === undefined) return { mode: 'dane-authenticated', ok: true, matched: text };
      failures.push(`${text}: ${why}`);
    }
  }
  return { mode: 'dane-authenticated', ok: false, reason: failures.join('; ') };
}
