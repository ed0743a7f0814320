/**
 * The lab PKI (docs/tls.md, "Keys and certificates"): one public root CA that every lab server trusts, a second CA that nobody
 * trusts, and per-host certificates in the six variants a trainee meets in the wild.
 *
 *   lab root CA ──signs──► valid, expired, not-yet-valid, wrong-name
 *   untrusted CA ──signs─► untrusted-ca
 *   (nobody) ─────────────► self-signed (signed by the host's own key)
 *
 * Validity is relative to the LAB time `now` (docs/lab.md, "Time"), never the wall clock. Each host has one
 * key for all its variants (a renewal usually keeps the key), which is also what makes a DANE-EE
 * `3 1 1` record match every variant: RFC 7672 §3.1.1 ignores names and dates.
 *
 * Certificates are cached in `dir` when one is given (the lab workspace): a restart reuses them,
 * so `lab-ca.pem` handed to swaks or openssl stays valid. A cached certificate is reissued only
 * when it no longer has its variant's property at `now`, or its CA has changed.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCertificate, serialFor } from './certs.ts';
import { readIfExists, replaceFile, writeOnce } from './files.ts';
import { keyFileName, type KeyPool, type LabKey } from './keys.ts';

export const certVariants = ['valid', 'expired', 'not-yet-valid', 'wrong-name', 'self-signed', 'untrusted-ca'] as const;
export type CertVariant = (typeof certVariants)[number];

export interface IssuedCert {
  hostName: string;
  variant: CertVariant;
  /** The host certificate alone. */
  certPem: string;
  keyPem: string;
  /** What the server presents: the host certificate, then its issuer (absent when self-signed). */
  chainPem: string;
}

export interface LabPki {
  readonly labName: string;
  readonly caCertPem: string;
  readonly untrustedCaCertPem: string;
  issue(hostName: string, variant: CertVariant): Promise<IssuedCert>;
  /** The lab CA: what every lab server (and `lab-ca.pem`) trusts. */
  trustStorePem(): string;
}

export interface LabPkiOptions {
  /** Lab time, ms since epoch. */
  now: number;
  pool: KeyPool;
  labName: string;
  /** Certificate cache directory; without it certificates live in memory only. */
  dir?: string;
}

const DAY = 86_400_000;
/** A `valid` certificate must stay valid at least this long after `now`, or it is reissued. */
const MIN_REMAINING = 30 * DAY;

/** Validity windows, relative to lab time. Chosen so a scenario advancing a few weeks keeps them. */
export function validityFor(variant: CertVariant | 'ca', now: number): { notBefore: number; notAfter: number } {
  switch (variant) {
    case 'ca':
      return { notBefore: now - 730 * DAY, notAfter: now + 3650 * DAY };
    case 'expired':
      return { notBefore: now - 395 * DAY, notAfter: now - 30 * DAY };
    case 'not-yet-valid':
      return { notBefore: now + 30 * DAY, notAfter: now + 395 * DAY };
    case 'valid':
    case 'wrong-name':
    case 'self-signed':
    case 'untrusted-ca':
      return { notBefore: now - DAY, notAfter: now + 365 * DAY };
  }
}

/**
 * The name a `wrong-name` certificate carries: outside the host's own domain, so it fails both the
 * MX-host match of `verify` and the nexthop/dot-nexthop match of `secure`.
 */
export function wrongNameFor(hostName: string): string {
  return hostName.endsWith('.unrelated.example') ? 'mail.other.example' : 'mail.unrelated.example';
}

function times(pem: string): { from: number; to: number } {
  const x = new X509Certificate(pem);
  return { from: Date.parse(x.validFrom), to: Date.parse(x.validTo) };
}

/** Does a stored certificate still show its variant's defect (or lack of one) at `now`? */
export function fitsVariant(variant: CertVariant | 'ca', certPem: string, now: number): boolean {
  const { from, to } = times(certPem);
  switch (variant) {
    case 'expired':
      return to < now;
    case 'not-yet-valid':
      return from > now;
    case 'ca':
    case 'valid':
    case 'wrong-name':
    case 'self-signed':
    case 'untrusted-ca':
      return from <= now && now + MIN_REMAINING <= to;
  }
}

interface Cached {
  version: 1;
  certPem: string;
  keyPem: string;
  chainPem: string;
}

function parseCached(text: string | undefined): Cached | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Cached>;
    if (v.version !== 1 || typeof v.certPem !== 'string' || typeof v.keyPem !== 'string' || typeof v.chainPem !== 'string') return undefined;
    new X509Certificate(v.certPem);
    return v as Cached;
  } catch {
    return undefined;
  }
}

/**
 * A small cache over an optional directory: `get` returns a stored entry that `ok` accepts, else
 * builds one and stores it (first writer wins; a stale entry is replaced).
 */
function certCache(dir: string | undefined) {
  const memory = new Map<string, Cached>();
  return async (name: string, ok: (c: Cached) => boolean, build: () => Cached): Promise<Cached> => {
    const inMemory = memory.get(name);
    if (inMemory && ok(inMemory)) return inMemory;
    let entry: Cached | undefined;
    if (dir) {
      const path = join(dir, name);
      const stored = parseCached(await readIfExists(path));
      if (stored && ok(stored)) {
        entry = stored;
      } else {
        const fresh = build();
        const text = JSON.stringify(fresh, null, 2);
        const kept = parseCached(stored ? await replaceFile(path, text) : await writeOnce(path, text));
        entry = kept && ok(kept) ? kept : fresh;
      }
    } else {
      entry = build();
    }
    memory.set(name, entry);
    return entry;
  };
}

export async function createLabPki(options: LabPkiOptions): Promise<LabPki> {
  const { now, pool, labName, dir } = options;
  if (dir) await mkdir(dir, { recursive: true });
  const cache = certCache(dir);
  const organization = `Postcard Lab (${labName})`;

  async function makeCa(role: 'ca' | 'untrusted-ca', commonName: string): Promise<{ key: LabKey; certPem: string }> {
    const key = await pool.take(`${labName}:${role}`);
    const entry = await cache(
      `${role}.json`,
      // The stored CA must belong to the pool's key (a wiped key directory means a new CA).
      (c) => c.keyPem === key.privateKeyPem && fitsVariant('ca', c.certPem, now),
      () => {
        const certPem = buildCertificate({
          subjectKey: key, subject: { commonName, organization }, ...validityFor('ca', now),
          serial: serialFor(labName, role, now), ca: true,
        });
        return { version: 1, certPem, keyPem: key.privateKeyPem, chainPem: certPem };
      },
    );
    return { key, certPem: entry.certPem };
  }

  const root = await makeCa('ca', `${labName} Root CA`);
  const untrusted = await makeCa('untrusted-ca', `${labName} Untrusted CA`);

  async function issue(hostName: string, variant: CertVariant): Promise<IssuedCert> {
    const host = hostName.toLowerCase().replace(/\.$/, '');
    const key = await pool.take(`${labName}:host:${host}`);
    const issuer = variant === 'self-signed' ? undefined : variant === 'untrusted-ca' ? untrusted : root;
    const name = variant === 'wrong-name' ? wrongNameFor(host) : host;
    const entry = await cache(
      `host-${keyFileName(`${host}/${variant}`).replace(/\.pem$/, '.json')}`,
      (c) =>
        c.keyPem === key.privateKeyPem &&
        fitsVariant(variant, c.certPem, now) &&
        // Reissue when the issuing CA changed, so the chain still verifies.
        (issuer ? new X509Certificate(c.certPem).verify(new X509Certificate(issuer.certPem).publicKey) : true),
      () => {
        const certPem = buildCertificate({
          subjectKey: key, subject: { commonName: name }, issuer, ...validityFor(variant, now),
          serial: serialFor(labName, host, variant, now), ca: false, dnsNames: [name],
        });
        return { version: 1, certPem, keyPem: key.privateKeyPem, chainPem: certPem + (issuer?.certPem ?? '') };
      },
    );
    return { hostName: host, variant, certPem: entry.certPem, keyPem: entry.keyPem, chainPem: entry.chainPem };
  }

  return {
    labName,
    caCertPem: root.certPem,
    untrustedCaCertPem: untrusted.certPem,
    issue,
    trustStorePem: () => root.certPem,
  };
}

/** Write the lab CA as `<dir>/lab-ca.pem` (for swaks, openssl s_client, `up --json`); returns the path. */
export async function caPath(dir: string, pki: LabPki): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'lab-ca.pem');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, pki.trustStorePem());
  await rename(tmp, path);
  return path;
}
