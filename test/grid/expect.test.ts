/**
 * The grid's expectations, checked against rules written here by hand (not against a run): the
 * fail-closed levels never leak in any combination, a firewall that hides STARTTLS turns `may`
 * into a cleartext delivery and `encrypt`/`verify` into a deferral, and so on.
 */
import { describe, expect, it } from 'vitest';
import { defaultAxes, gridCells, shardCells, type GridCell } from '../../app/grid/axes.ts';
import { ehloOffersNtlm, expectCell, firewallTraits } from '../../app/grid/expect.ts';

const all = gridCells(defaultAxes());
const cell = (firewall: string, method: GridCell['method'], receiver: GridCell['receiver'] = 'postfix', sender: GridCell['sender'] = 'exchange-5.5'): GridCell =>
  ({ index: 0, sender, receiver, firewall, method });

describe('grid axes', () => {
  it('the default grid is at least 4 × 4 × 8 × 6', () => {
    const a = defaultAxes();
    expect([a.senders.length, a.receivers.length, a.firewalls.length, a.methods.length]).toEqual([4, 4, 8, 6]);
    expect(all).toHaveLength(768);
  });
  it('shards partition the grid', () => {
    const parts = [1, 2, 3].map((i) => shardCells(all, { index: i, count: 3 }));
    expect(parts.flat().map((c) => c.index).sort((x, y) => x - y)).toEqual(all.map((c) => c.index));
  });
});

describe('expectations follow the policy rules', () => {
  it('fail-closed methods never leak, in any of the 768 cells', () => {
    for (const c of all.filter((x) => ['ntlm', 'ntlm-128', 'encrypt', 'verify'].includes(x.method))) {
      expect(expectCell(c).leak, `${c.firewall} ${c.method}`).toBe('never');
    }
  });
  it('a cleartext delivery is always a leak, and only method none or may delivers in clear', () => {
    for (const c of all) {
      const e = expectCell(c);
      if (e.outcome === 'delivered' && e.protection === 'none') {
        expect(e.leak).toBe('always');
        expect(['none', 'may']).toContain(c.method);
      }
    }
  });

  const table: [string, GridCell['method'], GridCell['receiver'], string, string][] = [
    ['pass', 'none', 'postfix', 'delivered', 'always'],
    ['pass', 'verify', 'postfix', 'delivered', 'never'],
    ['pass', 'ntlm-128', 'postfix', 'delivered', 'never'],
    ['pix-4.4', 'none', 'postfix', 'deferred', 'never'],
    ['pix-4.4', 'may', 'generic', 'deferred', 'never'],
    ['pix-5.1', 'none', 'postfix', 'delivered', 'always'],
    ['pix-5.1', 'none', 'exchange-2019', 'bounced', 'never'],
    ['pix-5.1', 'may', 'exchange-5.5', 'delivered', 'always'],
    ['pix-5.1', 'ntlm', 'exchange-5.5', 'deferred', 'never'],
    ['asa', 'may', 'postfix', 'delivered', 'always'],
    ['asa', 'encrypt', 'postfix', 'deferred', 'never'],
    ['asa', 'ntlm', 'exchange-5.5', 'deferred', 'never'],
    ['strip-starttls', 'ntlm', 'postfix', 'delivered', 'never'],
    ['strip-starttls', 'verify', 'postfix', 'deferred', 'never'],
    ['ntlm-downgrade', 'ntlm', 'postfix', 'deferred', 'never'],
    ['ntlm-downgrade', 'encrypt', 'postfix', 'delivered', 'never'],
    ['injector', 'may', 'postfix', 'delivered', 'never'],
    ['rewrite', 'none', 'generic', 'delivered', 'always'],
  ];
  for (const [fw, method, receiver, outcome, leak] of table) {
    it(`${fw} × ${method} → ${receiver}: ${outcome}, leak ${leak}`, () => {
      expect(expectCell(cell(fw, method, receiver))).toMatchObject({ outcome, leak });
    });
  }

  it('AUTH NTLM to the IMS: only the IMS sends it unoffered (KB Q262945), every other sender defers', () => {
    // The IMS's EHLO lists AUTH LOGIN only; the other products list NTLM when their server runs it.
    expect(ehloOffersNtlm('exchange-5.5')).toBe(false);
    for (const r of ['exchange-2019', 'postfix', 'generic'] as const) expect(ehloOffersNtlm(r), r).toBe(true);
    for (const sender of ['exchange-2019', 'postfix', 'generic'] as const) {
      for (const method of ['ntlm', 'ntlm-128'] as const) {
        const e = expectCell(cell('pass', method, 'exchange-5.5', sender));
        expect(e, `${sender} ${method}`).toMatchObject({ outcome: 'deferred', leak: 'never' });
        expect(e.because).toContain('does not list AUTH NTLM');
        // To a receiver that lists it, the same sender delivers sealed.
        expect(expectCell(cell('pass', method, 'postfix', sender))).toMatchObject({ outcome: 'delivered', protection: 'sealed' });
      }
    }
    expect(expectCell(cell('pass', 'ntlm', 'exchange-5.5', 'exchange-5.5'))).toMatchObject({ outcome: 'delivered', protection: 'sealed' });
    // Over the default grid: every ntlm cell from another sender to the IMS is deferred without a
    // leak, whatever the firewall; where the firewall lets the logon through it is this rule that decides.
    const toIms = all.filter((c) => c.receiver === 'exchange-5.5' && c.sender !== 'exchange-5.5' && c.method.startsWith('ntlm'));
    expect(toIms).toHaveLength(48);
    for (const c of toIms) expect(expectCell(c), `${c.sender} ${c.firewall} ${c.method}`).toMatchObject({ outcome: 'deferred', leak: 'never' });
    const decided = all.filter((c) => expectCell(c).because.includes('does not list AUTH NTLM'));
    expect(new Set(decided.map((c) => c.firewall))).toEqual(new Set(['pass', 'asa', 'strip-starttls', 'ntlm-downgrade', 'injector', 'rewrite']));
    expect(decided.every((c) => c.receiver === 'exchange-5.5' && c.sender !== 'exchange-5.5')).toBe(true);
  });

  it('reads firewall traits from the stage chain, so an imported configuration is judged by what it does', () => {
    expect(firewallTraits({ config: 'PIX Version 4.4(7)\nfixup protocol smtp 25\n' }).greetingNeverEnds).toBe(true);
    expect(firewallTraits({ profile: 'asa', with: { 'esmtp-inspect': { allowTls: true } } })).toMatchObject({ starttlsHidden: false, sealGarbled: true });
    expect(firewallTraits({ profile: 'pix-5.1', with: { 'command-filter': { allow: ['HELO', 'EHLO', 'MAIL', 'RCPT', 'DATA', 'QUIT'] } } }).esmtpHidden).toBe(false);
    expect(expectCell(cell('asa', 'may'), { config: 'policy-map type inspect esmtp m\n parameters\n  allow-tls\npolicy-map global_policy\n class c\n  inspect esmtp m\n' }))
      .toMatchObject({ outcome: 'delivered', protection: 'tls' });
  });
});
