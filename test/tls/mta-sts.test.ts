import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../app/base/clock.ts';
import {
  MAX_AGE_LIMIT, mxMatches, parseStsPolicy, parseStsTxt, PolicyCache, policyAllowsMx, selectStsTxt,
  type FetchOutcome, type StsPolicy,
} from '../../app/tls/mta-sts.ts';
import { NOW } from './fixtures.ts';

// RFC 8461 §3.2's example policy.
const EXAMPLE = 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n';

function policy(text: string): StsPolicy {
  const p = parseStsPolicy(text);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

describe('the _mta-sts TXT record (RFC 8461 §3.1)', () => {
  it('reads the RFC example', () => {
    expect(parseStsTxt('v=STSv1; id=20160831085700Z;')).toEqual({ ok: true, value: { id: '20160831085700Z', extensions: {} } });
  });

  const table: [string, string | null][] = [
    ['v=STSv1;id=abc', 'abc'],
    ['v=STSv1 ; id=abc ; ext_1=val', 'abc'],
    ['v=STSv1; id=' + 'a'.repeat(32), 'a'.repeat(32)],
    ['v=STSv1; id=' + 'a'.repeat(33), null], // id is 1*32
    ['v=STSv1; id=2016-08-31', null], // letters and digits only
    ['v=STSv1;', null], // no id
    ['v=STSv1; id=a; id=b', null],
    ['v=STSv1 id=abc', null], // fields need ";"
    ['v=STSv2; id=abc', null],
    ['V=STSv1; id=abc', null], // case-sensitive (%s)
    ['v=STSv1; id=abc; bad field', null],
  ];
  it.each(table)('%j → id %j', (text, id) => {
    const r = parseStsTxt(text);
    expect(r.ok ? r.value.id : null).toBe(id);
  });

  it('discards non-STS strings, and treats several STS records as no policy', () => {
    expect(selectStsTxt(['v=spf1 -all', 'v=STSv1; id=1']).ok).toBe(true);
    expect(selectStsTxt(['v=STSv1; id=1', 'v=STSv1; id=2']).ok).toBe(false);
    expect(selectStsTxt([]).ok).toBe(false);
  });
});

describe('the policy file (RFC 8461 §3.2)', () => {
  it('reads the RFC example, with LF or CRLF', () => {
    for (const text of [EXAMPLE, EXAMPLE.replace(/\n/g, '\r\n')]) {
      expect(policy(text)).toMatchObject({ version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'] });
    }
    expect(policy(EXAMPLE).lines).toEqual(EXAMPLE.trim().split('\n'));
  });

  it('clamps max_age to one year', () => {
    expect(policy(EXAMPLE.replace('604800', '9999999999')).maxAge).toBe(MAX_AGE_LIMIT);
    expect(MAX_AGE_LIMIT).toBe(31557600);
  });

  const bad: [string, RegExp][] = [
    [EXAMPLE.replace('604800', '1e6'), /max_age/],
    [EXAMPLE.replace('604800', '12345678901'), /max_age/],
    [EXAMPLE.replace('version: STSv1', 'version: STSv2'), /version/],
    [EXAMPLE.replace('mode: enforce', 'mode: Enforce'), /mode/],
    ['version: STSv1\nmode: enforce\nmax_age: 86400\n', /no mx/],
    [EXAMPLE.replace('mx: *.example.net', 'mx: mx*.example.net'), /mx/],
    ['<html>policy</html>', /malformed/],
  ];
  it.each(bad)('rejects %j', (text, why) => {
    const r = parseStsPolicy(text);
    expect(r.ok ? '' : r.error).toMatch(why);
  });

  it('accepts mode none without mx, and ignores unknown fields', () => {
    expect(policy('version: STSv1\nmode: none\nmax_age: 86400\n').mode).toBe('none');
    expect(policy(EXAMPLE + 'future_field: 1\n').mx).toHaveLength(3);
  });
});

describe('mxMatches (RFC 8461 §4.1)', () => {
  const table: [string, string, boolean][] = [
    ['mail.example.com', 'mail.example.com', true],
    ['mail.example.com', 'MAIL.Example.COM.', true],
    ['*.example.net', 'mx1.example.net', true],
    ['*.example.net', 'example.net', false],
    ['*.example.net', 'a.mx1.example.net', false],
    ['*.example.net', 'mx1.example.network', false],
    ['mail.example.com', 'mail2.example.com', false],
  ];
  it.each(table)('%s vs %s → %s', (pattern, host, want) => {
    expect(mxMatches(pattern, host)).toBe(want);
  });

  it('checks a host against every pattern of a policy', () => {
    expect(policyAllowsMx(policy(EXAMPLE), 'backupmx.example.com')).toBe(true);
    expect(policyAllowsMx(policy(EXAMPLE), 'mx.attacker.example')).toBe(false);
  });
});

describe('PolicyCache (RFC 8461 §5.1) on the lab clock', () => {
  const clock = () => new VirtualClock(NOW);
  const oneDay = policy('version: STSv1\nmode: enforce\nmx: *.ntsol.example\nmax_age: 86400\n');
  const counting = (outcome: FetchOutcome) => {
    const f = { calls: 0, fetch: async () => (f.calls++, outcome) };
    return f;
  };

  it('keeps applying a policy after its TXT record vanishes, until max_age runs out', async () => {
    const c = clock();
    const cache = new PolicyCache();
    const host = counting({ ok: true, policy: oneDay });
    expect((await cache.resolve('ntsol.example', ['v=STSv1; id=1'], c.now(), host.fetch)).source).toBe('fetched');
    c.advance(3_600_000);
    // An attacker strips the TXT record: the cached policy still protects.
    const stripped = await cache.resolve('ntsol.example', undefined, c.now(), host.fetch);
    expect(stripped).toMatchObject({ source: 'cache', policy: oneDay });
    c.advance(86_400_000 - 3_600_000 - 1);
    expect((await cache.resolve('ntsol.example', undefined, c.now(), host.fetch)).source).toBe('cache');
    c.advance(1);
    expect((await cache.resolve('ntsol.example', undefined, c.now(), host.fetch)).source).toBe('none');
    expect(host.calls).toBe(1);
  });

  it('does not fetch again while the id is unchanged, and refreshes when it changes', async () => {
    const cache = new PolicyCache();
    const host = counting({ ok: true, policy: oneDay });
    await cache.resolve('ntsol.example', ['v=STSv1; id=1'], NOW, host.fetch);
    await cache.resolve('ntsol.example', ['v=STSv1; id=1'], NOW + 1000, host.fetch);
    expect(host.calls).toBe(1);
    const later = await cache.resolve('ntsol.example', ['v=STSv1; id=2'], NOW + 2000, host.fetch);
    expect(later.source).toBe('fetched');
    expect(host.calls).toBe(2);
    expect(cache.lookup('ntsol.example', NOW + 2000)).toMatchObject({ id: '2', fetchedAt: NOW + 2000, expiresAt: NOW + 2000 + 86_400_000 });
  });

  it('falls back to the cached policy when a fetch fails, and to none without one', async () => {
    const cache = new PolicyCache();
    const blocked = counting({ ok: false, error: 'connect: refused' });
    expect(await cache.resolve('ntsol.example', ['v=STSv1; id=1'], NOW, blocked.fetch)).toMatchObject({ source: 'none' });
    await cache.resolve('ntsol.example', ['v=STSv1; id=1'], NOW, counting({ ok: true, policy: oneDay }).fetch);
    const r = await cache.resolve('ntsol.example', ['v=STSv1; id=2'], NOW + 1000, blocked.fetch);
    expect(r).toMatchObject({ source: 'cache', policy: oneDay });
    expect(r.note).toMatch(/refused/);
  });

  it('survives a restart through its entries', async () => {
    const cache = new PolicyCache();
    await cache.resolve('NTSOL.example', ['v=STSv1; id=1'], NOW, counting({ ok: true, policy: oneDay }).fetch);
    const restored = new PolicyCache(JSON.parse(JSON.stringify(cache.entries())));
    expect(restored.lookup('ntsol.example', NOW + 1)?.policy).toEqual(oneDay);
  });
});
