import { describe, expect, it } from 'vitest';
import { parseTlsa, tlsaFor, type TlsaRecord } from '../../app/tls/dane.ts';
import { decideTls, isFailClosed, rptOf, type Destination, type DnsFacts, type TlsDecision, type TlsLevel } from '../../app/tls/levels.ts';
import { parseStsPolicy, type StsPolicy } from '../../app/tls/mta-sts.ts';
import { certVariants, type CertVariant } from '../../app/tls/pki.ts';
import { allVariants, chainOf, MX, NEXTHOP, NOW, testPki } from './fixtures.ts';

// The defer texts (docs/tls.md, "What each level checks"), typed in by hand (not imported from the catalogue).
const NOT_OFFERED = 'D:TLS is required, but was not offered by host mail.ntsol.example';
const NOT_VERIFIED = 'D:Server certificate not verified';
const BOGUS = 'D:DNSSEC validation failed for mail.ntsol.example';
const NO_TLSA = 'D:No usable TLSA records for host mail.ntsol.example';
const MX_MISMATCH = 'D:MX host mail.ntsol.example does not match the MTA-STS policy of ntsol.example';

function sts(mode: string, mx = '*.ntsol.example'): StsPolicy {
  const p = parseStsPolicy(`version: STSv1\nmode: ${mode}\nmx: ${mx}\nmax_age: 604800\n`);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

async function dnsSetups(): Promise<Record<string, DnsFacts>> {
  const pki = await testPki();
  const certs = await allVariants();
  const ee = tlsaFor(certs.valid.certPem, 3, 1, 1); // the host key: in every variant
  const ta = tlsaFor(pki.caCertPem, 2, 0, 1); // the lab CA
  const pkix = parseTlsa(`1 1 1 ${'ab'.repeat(32)}`) as { ok: true; record: TlsaRecord };
  return {
    none: {},
    'tlsa-ee': { tlsa: { zone: 'secure', records: [ee] } },
    'tlsa-ta': { tlsa: { zone: 'secure', records: [ta] } },
    'tlsa-insecure': { tlsa: { zone: 'insecure', records: [ee] } },
    'tlsa-empty': { tlsa: { zone: 'secure', records: [] } },
    'tlsa-unusable': { tlsa: { zone: 'secure', records: [pkix.record] } },
    'tlsa-bogus': { tlsa: { zone: 'bogus', records: [ee] } },
    'sts-enforce': { mtaSts: sts('enforce') },
    'sts-testing': { mtaSts: sts('testing') },
    'sts-none': { mtaSts: sts('none') },
    'sts-enforce-other-mx': { mtaSts: sts('enforce', 'mx.elsewhere.example') },
    'sts-testing-other-mx': { mtaSts: sts('testing', 'mx.elsewhere.example') },
  };
}

function code(d: TlsDecision): string {
  switch (d.action) {
    case 'cleartext-downgraded':
      return 'C';
    case 'proceed-encrypted':
      return d.authenticated ? 'P+' : 'P-';
    case 'testing-failure':
      return 'T';
    case 'defer':
      return `D:${d.text}`;
    default:
      return d.action;
  }
}

/** A sender's walk through the moments: connect, EHLO, STARTTLS → 220, handshake. */
function walk(level: TlsLevel, dest: Destination, chainDer: Buffer[], offered: boolean, trust: string[]): string {
  const c = decideTls(level, { ...dest, moment: 'connect' });
  if (c.action !== 'connect') return code(c);
  const e = decideTls(level, { ...dest, moment: 'ehlo', starttlsOffered: offered });
  if (e.action !== 'starttls') return code(e);
  const r = decideTls(level, { ...dest, moment: 'starttls-reply', code: 220, text: '2.0.0 Ready to start TLS' });
  if (r.action !== 'handshake') return code(r);
  return code(decideTls(level, { ...dest, moment: 'handshake', chainDer, trust, now: NOW }));
}

// level, DNS setup, STARTTLS not offered, then per variant: valid expired not-yet-valid wrong-name self-signed untrusted-ca
type Row = [TlsLevel, string, string, string[]];
const six = (x: string) => [x, x, x, x, x, x];
const onlyValid = (ok: string, bad: string) => [ok, bad, bad, bad, bad, bad];
const TABLE: Row[] = [
  ['may', 'none', 'C', six('P-')],
  ['encrypt', 'none', NOT_OFFERED, six('P-')],
  ['verify', 'none', NOT_OFFERED, onlyValid('P+', NOT_VERIFIED)],
  ['secure', 'none', NOT_OFFERED, onlyValid('P+', NOT_VERIFIED)],
  // DANE-EE pins the key and ignores names and dates (RFC 7672 §3.1.1): every variant passes.
  ['dane', 'tlsa-ee', NOT_OFFERED, six('P+')],
  ['dane', 'tlsa-ta', NOT_OFFERED, onlyValid('P+', NOT_VERIFIED)],
  ['dane', 'tlsa-insecure', 'C', six('P-')],
  ['dane', 'tlsa-empty', 'C', six('P-')],
  // RFC 7672 §2.2: TLSA records that are all unusable still make TLS mandatory.
  ['dane', 'tlsa-unusable', NOT_OFFERED, six('P-')],
  ['dane', 'tlsa-bogus', BOGUS, six(BOGUS)],
  ['dane-only', 'tlsa-ee', NOT_OFFERED, six('P+')],
  ['dane-only', 'tlsa-ta', NOT_OFFERED, onlyValid('P+', NOT_VERIFIED)],
  ['dane-only', 'tlsa-insecure', NO_TLSA, six(NO_TLSA)],
  ['dane-only', 'tlsa-unusable', NO_TLSA, six(NO_TLSA)],
  ['dane-only', 'none', NO_TLSA, six(NO_TLSA)],
  ['dane-only', 'tlsa-bogus', BOGUS, six(BOGUS)],
  ['mta-sts', 'sts-enforce', NOT_OFFERED, onlyValid('P+', NOT_VERIFIED)],
  ['mta-sts', 'sts-testing', 'C', onlyValid('P+', 'T')],
  ['mta-sts', 'none', 'C', six('P-')],
  ['mta-sts', 'sts-none', 'C', six('P-')],
  ['mta-sts', 'sts-enforce-other-mx', MX_MISMATCH, six(MX_MISMATCH)],
  ['mta-sts', 'sts-testing-other-mx', 'C', six('T')],
];

describe('decideTls: every level × certificate variant × STARTTLS offered or not (docs/lab.md, "Outbound security")', () => {
  it.each(TABLE)('%s with DNS %s', async (level, setup, notOffered, byVariant) => {
    const pki = await testPki();
    const certs = await allVariants();
    const dest: Destination = { mxHost: MX, nexthop: NEXTHOP, dns: (await dnsSetups())[setup] };
    const trust = [pki.trustStorePem()];
    const got = Object.fromEntries(certVariants.map((v) => [v, walk(level, dest, chainOf(certs[v]), true, trust)]));
    const want = Object.fromEntries(certVariants.map((v, i) => [v, byVariant[i]]));
    expect(got).toEqual(want);
    for (const v of certVariants) expect(walk(level, dest, chainOf(certs[v as CertVariant]), false, trust)).toBe(notOffered);
  });
});

describe('decideTls: the other moments', () => {
  const dest: Destination = { mxHost: MX, nexthop: NEXTHOP, dns: {} };

  it('treats a refused STARTTLS as cleartext for may and as a defer with the reply for encrypt', () => {
    const refused = { ...dest, moment: 'starttls-reply' as const, code: 454, text: '4.7.0 TLS not available due to temporary reason' };
    expect(decideTls('may', refused)).toMatchObject({ action: 'cleartext-downgraded', reason: expect.stringContaining('454 4.7.0') });
    expect(decideTls('encrypt', refused)).toMatchObject({
      action: 'defer',
      text: 'TLS is required, but host mail.ntsol.example refused to start TLS: 454 4.7.0 TLS not available due to temporary reason',
    });
  });

  it('reconnects in cleartext after a failed handshake only for may', () => {
    const failed = { ...dest, moment: 'handshake-failed' as const, error: 'wrong version number' };
    expect(decideTls('may', failed)).toMatchObject({ action: 'reconnect-cleartext', reason: expect.stringContaining('wrong version number') });
    for (const level of ['encrypt', 'verify', 'secure'] as const) {
      expect(decideTls(level, failed)).toMatchObject({ action: 'defer', text: 'Cannot start TLS: handshake failure' });
    }
  });

  it('secure refuses a certificate that only matches a forged MX name; verify accepts it', async () => {
    const pki = await testPki();
    const forged = await pki.issue('mx.attacker.example', 'valid');
    const spoofed: Destination = { mxHost: 'mx.attacker.example', nexthop: NEXTHOP, dns: {} };
    const at = { ...spoofed, moment: 'handshake' as const, chainDer: chainOf(forged), trust: [pki.trustStorePem()], now: NOW };
    expect(decideTls('verify', at)).toMatchObject({ action: 'proceed-encrypted', authenticated: true });
    expect(decideTls('secure', at)).toMatchObject({ action: 'defer', text: 'Server certificate not verified' });
  });

  it('records what TLS-RPT needs about each failure (RFC 8460 §4.3)', async () => {
    const pki = await testPki();
    const certs = await allVariants();
    const setups = await dnsSetups();
    const at = (dns: DnsFacts, v: CertVariant) =>
      ({ mxHost: MX, nexthop: NEXTHOP, dns, moment: 'handshake' as const, chainDer: chainOf(certs[v]), trust: [pki.trustStorePem()], now: NOW });
    expect(rptOf(decideTls('mta-sts', at(setups['sts-testing'], 'expired')))).toMatchObject({ policyType: 'sts', result: 'certificate-expired' });
    expect(rptOf(decideTls('mta-sts', at(setups['sts-enforce'], 'wrong-name')))).toMatchObject({ policyType: 'sts', result: 'certificate-host-mismatch' });
    expect(rptOf(decideTls('mta-sts', at(setups['sts-enforce'], 'valid')))).toEqual({ policyType: 'sts', result: 'success' });
    expect(rptOf(decideTls('dane-only', at(setups['tlsa-insecure'], 'valid')))).toMatchObject({ policyType: 'tlsa', result: 'dane-required' });
    expect(rptOf(decideTls('dane', at(setups['tlsa-bogus'], 'valid')))).toMatchObject({ policyType: 'tlsa', result: 'dnssec-invalid' });
    const notOffered = { mxHost: MX, nexthop: NEXTHOP, dns: setups['sts-testing'], moment: 'ehlo' as const, starttlsOffered: false };
    expect(rptOf(decideTls('mta-sts', notOffered))).toMatchObject({ policyType: 'sts', result: 'starttls-not-supported' });
  });
});

describe('isFailClosed (docs/lab.md, "Fail closed")', () => {
  it.each([
    ['may', 'none', false],
    ['encrypt', 'none', true],
    ['verify', 'none', true],
    ['secure', 'none', true],
    ['dane', 'tlsa-ee', true],
    ['dane', 'tlsa-insecure', false],
    ['dane', 'none', false],
    ['dane', 'tlsa-bogus', true], // deferred: nothing is sent at all
    ['dane-only', 'none', true],
    ['mta-sts', 'sts-enforce', true],
    ['mta-sts', 'sts-testing', false],
    ['mta-sts', 'none', false],
  ] as const)('%s with DNS %s → %s', async (level, setup, want) => {
    expect(isFailClosed(level, { mxHost: MX, nexthop: NEXTHOP, dns: (await dnsSetups())[setup] })).toBe(want);
  });
});
