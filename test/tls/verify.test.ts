import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCertificate, pemToDer, serialFor } from '../../app/tls/certs.ts';
import type { CertVariant } from '../../app/tls/pki.ts';
import { matchesName, verifyChain } from '../../app/tls/verify.ts';
import { allVariants, chainOf, DAY, EXPECTED_VERDICT, LAB, MX, NOW, testPki, testPool } from './fixtures.ts';

const expected = EXPECTED_VERDICT;

const outcome = (r: ReturnType<typeof verifyChain>) => (r.ok ? 'ok' : r.reason);

describe('verifyChain', () => {
  it.each(Object.entries(expected))('judges %s as %s', async (variant, want) => {
    const pki = await testPki();
    const cert = (await allVariants())[variant as CertVariant];
    expect(outcome(verifyChain(chainOf(cert), { trust: [pki.trustStorePem()], now: NOW, name: MX }))).toBe(want);
  });

  it('judges by the lab clock, not the wall clock', async () => {
    const pki = await testPki();
    const chain = chainOf((await allVariants()).valid);
    const trust = [pki.trustStorePem()];
    expect(outcome(verifyChain(chain, { trust, now: NOW }))).toBe('ok');
    expect(outcome(verifyChain(chain, { trust, now: NOW + 400 * DAY }))).toBe('expired');
    expect(outcome(verifyChain(chain, { trust, now: NOW - 2 * DAY }))).toBe('not-yet-valid');
  });

  it('does not trust a chain that only the untrusted CA vouches for, even when it is sent along', async () => {
    const pki = await testPki();
    const cert = (await allVariants())['untrusted-ca'];
    expect(chainOf(cert)).toHaveLength(2);
    const r = verifyChain(chainOf(cert), { trust: [pki.trustStorePem()], now: NOW });
    expect(r.ok ? '' : r.detail).toContain('Untrusted CA');
    // …and the same chain passes for someone who does trust that CA.
    expect(outcome(verifyChain(chainOf(cert), { trust: [pki.untrustedCaCertPem], now: NOW }))).toBe('ok');
  });

  it('returns a typed failure for hostile input instead of throwing', () => {
    expect(outcome(verifyChain([], { trust: [], now: NOW }))).toBe('untrusted');
    expect(outcome(verifyChain([Buffer.from('not a certificate')], { trust: ['garbage'], now: NOW }))).toBe('untrusted');
    expect(outcome(verifyChain([Buffer.alloc(0)], { trust: [], now: NOW }))).toBe('untrusted');
  });

  it('follows an intermediate CA the server sends, and only a CA may issue', async () => {
    const pool = testPool();
    const pki = await testPki();
    const rootKey = await pool.take(`${LAB}:ca`);
    const midKey = await pool.take(`${LAB}:untrusted-ca`);
    const hostKey = await pool.take(`${LAB}:host:${MX}`);
    const window = { notBefore: NOW - DAY, notAfter: NOW + 90 * DAY };
    const intermediate = (ca: boolean) => buildCertificate({
      subjectKey: midKey, subject: { commonName: 'Lab Issuing CA 1' }, issuer: { key: rootKey, certPem: pki.caCertPem },
      ...window, serial: serialFor('mid', ca ? 1 : 0), ca,
    });
    for (const [isCa, want] of [[true, 'ok'], [false, 'untrusted']] as const) {
      const mid = intermediate(isCa);
      const leaf = buildCertificate({
        subjectKey: hostKey, subject: { commonName: MX }, issuer: { key: midKey, certPem: mid },
        ...window, serial: serialFor('leaf', isCa ? 1 : 0), ca: false, dnsNames: [MX],
      });
      const trust = [pki.trustStorePem()];
      expect(outcome(verifyChain(pemToDer(leaf + mid), { trust, now: NOW, name: MX }))).toBe(want);
      expect(outcome(verifyChain(pemToDer(leaf), { trust, now: NOW, name: MX }))).toBe('untrusted');
    }
  });
});

describe('matchesName (RFC 6125 §6.4)', () => {
  async function certFor(dnsNames: string[], commonName = 'ignored.example'): Promise<X509Certificate> {
    const key = await testPool().take(`${LAB}:host:${MX}`);
    return new X509Certificate(buildCertificate({
      subjectKey: key, subject: { commonName }, notBefore: NOW - DAY, notAfter: NOW + DAY,
      serial: serialFor(...dnsNames, commonName), ca: false, dnsNames,
    }));
  }

  // [presented dNSNames, reference identifier, match?] — by hand from §6.4.1, §6.4.3, §6.4.4
  const table: [string[], string, boolean][] = [
    [['mail.ntsol.example'], 'mail.ntsol.example', true],
    [['mail.ntsol.example'], 'MAIL.NTSOL.EXAMPLE', true], // §6.4.1: case-insensitive
    [['mail.ntsol.example'], 'mail.ntsol.example.', true], // an absolute name is the same name
    [['mail.ntsol.example'], 'ntsol.example', false],
    [['*.ntsol.example'], 'mail.ntsol.example', true], // §6.4.3: one label
    [['*.ntsol.example'], 'ntsol.example', false], // …not zero labels
    [['*.ntsol.example'], 'a.mail.ntsol.example', false], // …not two
    [['m*.ntsol.example'], 'mail.ntsol.example', false], // partial wildcards refused
    [['mail.*.example'], 'mail.ntsol.example', false], // only the left-most label
    [['www.ntsol.example', 'mail.ntsol.example'], 'mail.ntsol.example', true],
    // `.domain` references: any name below the domain (Postfix dot-nexthop), not the domain itself
    [['mail.ntsol.example'], '.ntsol.example', true],
    [['ntsol.example'], '.ntsol.example', false],
    [['*.ntsol.example'], '.ntsol.example', true],
    [['mail.ntsol.example.evil.example'], '.ntsol.example', false],
  ];

  it.each(table)('%j against %s → %s', async (presented, reference, want) => {
    expect(matchesName(await certFor(presented), reference)).toBe(want);
  });

  it('uses the CN only when there is no DNS-ID (§6.4.4)', async () => {
    expect(matchesName(await certFor([], 'mail.ntsol.example'), 'mail.ntsol.example')).toBe(true);
    expect(matchesName(await certFor(['www.ntsol.example'], 'mail.ntsol.example'), 'mail.ntsol.example')).toBe(false);
  });
});
