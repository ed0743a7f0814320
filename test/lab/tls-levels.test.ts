/**
 * The outbound TLS levels (docs/lab.md, "Outbound security"; docs/tls.md), end to end: every TLS level against every certificate variant, with STARTTLS offered
 * and not offered, through real sockets. The expected table is written by hand from those rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { formatTlsa, tlsaFor } from '../../app/tls/dane.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { twoOrgs } from '../helpers/lab.ts';

const variants = ['valid', 'expired', 'not-yet-valid', 'wrong-name', 'self-signed', 'untrusted-ca'] as const;
type Variant = (typeof variants)[number];
const levels = ['may', 'encrypt', 'verify', 'secure', 'dane', 'dane-only', 'mta-sts'] as const;
type Level = (typeof levels)[number];

type Expected = 'encrypted' | 'downgraded' | { deferred: string };
const notOffered = (host: string): Expected => ({ deferred: `TLS is required, but was not offered by host ${host}` });
const notVerified: Expected = { deferred: 'Server certificate not verified' };

/** The levels table, by hand. DANE here is a `3 1 1` record of each host's key in a signed zone (DANE-EE ignores names and dates). */
function expected(level: Level, variant: Variant, offered: boolean, host: string): Expected {
  if (!offered) return level === 'may' ? 'downgraded' : notOffered(host);
  switch (level) {
    case 'may':
    case 'encrypt':
    case 'dane':
    case 'dane-only':
      return 'encrypted';
    case 'verify':
    case 'secure':
    case 'mta-sts':
      return variant === 'valid' ? 'encrypted' : notVerified;
  }
}

let lab: Lab;
const hostOf = (v: Variant) => `${v}.ntsol.example`;

beforeAll(async () => {
  lab = await createLab(twoOrgs((l) => {
    // Modern TLS on both ends: exchange-5.5 (the helper's default) speaks TLS 1.0 only (app/products/).
    for (const o of l.orgs) o.profile = 'generic';
    // One partner host per certificate variant; the security entry's `via` picks the host.
    l.orgs[1].hosts = variants.map((v, i) => ({ name: hostOf(v), address: `198.51.100.${30 + i}`, certificate: v }));
    l.orgs[1].mtaSts = { mode: 'enforce', maxAge: 86400 };
    l.dnssec = [{ zone: 'ntsol.example', state: 'secure' }];
  }));
  for (const v of variants) {
    const cert = lab.security.certs.get(hostOf(v))!;
    lab.dns.add({ name: `_25._tcp.${hostOf(v)}`, type: 'TLSA', value: formatTlsa(tlsaFor(cert.certPem, 3, 1, 1)) });
  }
});
afterAll(() => lab?.stop());

const cases = levels.flatMap((level) => variants.flatMap((variant) => [true, false].map((offered) => ({ level, variant, offered }))));

describe('TLS levels × certificate variants × STARTTLS offered', () => {
  it.each(cases)('$level against $variant, STARTTLS offered: $offered', async ({ level, variant, offered }) => {
    const id = `${level}-${variant}-${offered}`;
    const host = hostOf(variant);
    lab.applyAction({ org: 'ntsol', setInbound: { starttls: offered } });
    lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level, via: host } });
    lab.send({ id, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: id, body: 'A message for the table.' });
    const outcome = await lab.settle(id, true);
    const attempts = lab.entriesOf(id)[0].attempts;
    const text = attempts.map((a) => formatTranscript(a.transcript)).join('\n');
    const want = expected(level, variant, offered, `${host}`);
    if (want === 'encrypted') {
      expect(outcome, text).toBe('delivered');
      expect(attempts.at(-1)!.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
      expect(attempts.at(-1)!.downgraded).toBeUndefined();
      expect(lab.leaks(id)).toEqual([]);
    } else if (want === 'downgraded') {
      expect(outcome, text).toBe('delivered');
      expect(attempts.at(-1)!.downgraded).toBe(`STARTTLS not offered by host ${host}`);
      expect(lab.leaks(id).length).toBeGreaterThan(0);
    } else {
      expect(outcome, text).toBe('deferred');
      expect(lab.entriesOf(id)[0].lastError).toContain(want.deferred);
      // Fail closed: not one canary in clear, whatever the certificate.
      expect(lab.leaks(id)).toEqual([]);
    }
  });
});
