import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { daneCheck, daneState, formatTlsa, parseTlsa, tlsaFor, unusableBecause, type TlsaRecord, type ZoneState } from '../../app/tls/dane.ts';
import { certVariants, type CertVariant } from '../../app/tls/pki.ts';
import { allVariants, chainOf, MX, NEXTHOP, NOW, testPki } from './fixtures.ts';

const record = (text: string): TlsaRecord => {
  const parsed = parseTlsa(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.record;
};

/** OpenSSL computes the association data independently (RFC 6698 §2.1.2 / §2.1.3). */
function opensslDigest(certPem: string, selector: 0 | 1, alg: 'sha256' | 'sha512'): string {
  const der = selector === 0
    ? execFileSync('openssl', ['x509', '-outform', 'DER'], { input: certPem })
    : execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: certPem }) });
  return execFileSync('openssl', ['dgst', `-${alg}`, '-r'], { input: der }).toString().split(' ')[0];
}

describe('TLSA records', () => {
  it('parses the presentation form, hex whitespace included (RFC 6698 §2.2)', () => {
    expect(record('3 1 1 0A0B 0c0d')).toEqual({ usage: 3, selector: 1, mtype: 1, data: Buffer.from('0a0b0c0d', 'hex') });
    expect(formatTlsa(record('2 0 1  ABCD'))).toBe('2 0 1 abcd');
  });

  it.each(['', '3 1 1', '3 1 1 xyz', '3 1 1 abc', '256 1 1 ab', '3 1 ab', 'TLSA 3 1 1 ab'])('rejects %j with an error, without throwing', (text) => {
    expect(parseTlsa(text).ok).toBe(false);
  });

  it.each([[0, 1, 'sha256'], [0, 2, 'sha512'], [1, 1, 'sha256'], [1, 2, 'sha512']] as const)(
    'tlsaFor(cert, 3, %i, %i) computes what OpenSSL computes (%s)',
    async (selector, mtype, alg) => {
      const cert = (await allVariants()).valid.certPem;
      expect(tlsaFor(cert, 3, selector, mtype).data.toString('hex')).toBe(opensslDigest(cert, selector, alg));
    },
  );

  it('says which records are unusable for SMTP (RFC 7672 §3.1.3)', () => {
    const h32 = 'ab'.repeat(32);
    expect(unusableBecause(record(`3 1 1 ${h32}`))).toBeUndefined();
    expect(unusableBecause(record(`2 0 2 ${'ab'.repeat(64)}`))).toBeUndefined();
    expect(unusableBecause(record(`0 0 1 ${h32}`))).toMatch(/PKIX/);
    expect(unusableBecause(record(`1 1 1 ${h32}`))).toMatch(/PKIX/);
    expect(unusableBecause(record(`3 2 1 ${h32}`))).toMatch(/selector/);
    expect(unusableBecause(record(`3 1 3 ${h32}`))).toMatch(/matching type/);
    expect(unusableBecause(record('3 1 1 abcd'))).toMatch(/32 bytes/);
  });

  it('classifies the RRset by its DNSSEC state (RFC 7672 §2.2)', () => {
    const ee = record(`3 1 1 ${'ab'.repeat(32)}`);
    const pkix = record(`1 1 1 ${'ab'.repeat(32)}`);
    const cases: [TlsaRecord[], ZoneState, string][] = [
      [[ee], 'secure', 'usable'],
      [[pkix, ee], 'secure', 'usable'],
      [[pkix], 'secure', 'all-unusable'],
      [[], 'secure', 'none'],
      [[ee], 'insecure', 'none'],
      [[ee], 'bogus', 'bogus'],
    ];
    for (const [records, zone, want] of cases) expect(daneState(records, zone)).toBe(want);
  });
});

describe('daneCheck', () => {
  async function setup() {
    const pki = await testPki();
    const certs = await allVariants();
    return {
      certs,
      // DANE-EE pinning the host's key: the same key is in every variant.
      eeKey: tlsaFor(certs.valid.certPem, 3, 1, 1),
      // DANE-EE pinning the exact valid certificate.
      eeCert: tlsaFor(certs.valid.certPem, 3, 0, 1),
      // DANE-TA: the lab CA certificate, and the lab CA's bare key (`2 1 0`).
      taCert: tlsaFor(pki.caCertPem, 2, 0, 2),
      taKey: tlsaFor(pki.caCertPem, 2, 1, 0),
    };
  }
  const run = (records: TlsaRecord[], chainDer: Buffer[], zone: ZoneState = 'secure') =>
    daneCheck({ records, zone, chainDer, now: NOW, names: [MX, NEXTHOP] });

  // By hand: DANE-EE ignores names and dates (RFC 7672 §3.1.1); DANE-TA checks them (§3.1.2, §3.2).
  const table: Record<CertVariant, { eeKey: boolean; eeCert: boolean; taCert: boolean }> = {
    valid: { eeKey: true, eeCert: true, taCert: true },
    expired: { eeKey: true, eeCert: false, taCert: false },
    'not-yet-valid': { eeKey: true, eeCert: false, taCert: false },
    'wrong-name': { eeKey: true, eeCert: false, taCert: false },
    'self-signed': { eeKey: true, eeCert: false, taCert: false },
    'untrusted-ca': { eeKey: true, eeCert: false, taCert: false },
  };

  it.each(certVariants)('authenticates %s as the table says', async (variant) => {
    const s = await setup();
    const chain = chainOf(s.certs[variant]);
    const got = {
      eeKey: run([s.eeKey], chain).ok,
      eeCert: run([s.eeCert], chain).ok,
      taCert: run([s.taCert], chain).ok,
    };
    expect(got).toEqual(table[variant]);
    expect(run([s.eeKey], chain).mode).toBe('dane-authenticated');
  });

  it('accepts any one matching record of the RRset and names it', async () => {
    const s = await setup();
    const verdict = run([s.eeCert, s.taCert], chainOf(s.certs.valid));
    expect(verdict).toMatchObject({ ok: true, matched: formatTlsa(s.eeCert) });
  });

  it('needs the DANE-TA certificate in the chain, but not a bare DANE-TA key (RFC 7671 §5.2.3)', async () => {
    const s = await setup();
    const leafOnly = chainOf(s.certs.valid).slice(0, 1);
    expect(run([s.taCert], leafOnly).ok).toBe(false);
    expect(run([s.taKey], leafOnly).ok).toBe(true);
  });

  it('is not DANE at all without a secure zone or usable records, and bogus when validation failed', async () => {
    const s = await setup();
    const chain = chainOf(s.certs.valid);
    expect(run([s.eeKey], chain, 'insecure')).toMatchObject({ mode: 'no-usable-tlsa', ok: false });
    expect(run([record(`1 1 1 ${'ab'.repeat(32)}`)], chain)).toMatchObject({ mode: 'no-usable-tlsa', ok: false });
    expect(run([s.eeKey], chain, 'bogus')).toMatchObject({ mode: 'bogus', ok: false });
  });

  it('fails a usable record that matches nothing, with the reason', async () => {
    const s = await setup();
    const verdict = run([record(`3 1 1 ${'00'.repeat(32)}`)], chainOf(s.certs.valid));
    expect(verdict).toMatchObject({ mode: 'dane-authenticated', ok: false });
    expect(verdict.reason).toMatch(/does not match/);
  });
});
