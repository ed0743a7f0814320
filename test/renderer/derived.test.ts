// The renderer's level marks and firewall lists derive from the engine's tables as the lab
// snapshot carries them (app/api/views.ts): a level or a profile registered in the engine shows in
// the renderer's output without a change to renderer/.
import { afterEach, describe, expect, it } from 'vitest';
import { stoppedSnapshot } from '../../app/api/views.ts';
import type { SecurityRowView } from '../../app/api/contract.ts';
import { registerTlsLevel } from '../../app/tls/level-table.ts';
import { parseProfileSpec, registerFirewallProfile } from '../../app/path/profiles.ts';
import { failsClosed } from '../../renderer/lib/format.ts';
import { offCommand, ownEhlo, profileChoices, stageParams } from '../../renderer/lib/firewall.ts';

const unregister: (() => void)[] = [];
afterEach(() => {
  for (const u of unregister.splice(0)) u();
});
const snapshot = () => JSON.parse(JSON.stringify(stoppedSnapshot(undefined, { nextStep: 0, results: [] }))) as ReturnType<typeof stoppedSnapshot>;
const tlsRow = (level: string): SecurityRowView => ({ domain: 'ntsol.example', method: 'tls', level, setting: { vocabulary: 'level', level } as never, description: level });

describe('TLS levels in the renderer', () => {
  it('marks the built-in levels as the table says: encrypt, verify, secure and dane-only fail closed', () => {
    const levels = snapshot().tlsLevels;
    expect(levels.filter((l) => failsClosed(tlsRow(l.name), levels)).map((l) => l.name)).toEqual(['encrypt', 'verify', 'secure', 'dane-only']);
    expect(failsClosed({ ...tlsRow('may'), method: 'ntlm' }, levels)).toBe(true);
    expect(failsClosed({ ...tlsRow(''), method: 'none', level: undefined }, levels)).toBe(false);
  });

  it('marks a level registered in the engine from its row, and forgets it when it is removed', () => {
    expect(failsClosed(tlsRow('exact-domain'), snapshot().tlsLevels)).toBe(false);
    unregister.push(registerTlsLevel({
      name: 'exact-domain', description: 'Mandatory TLS; the certificate names exactly the recipient domain',
      failsClosed: true, authenticates: true, verification: { kind: 'names', names: ['nexthop'] },
    }));
    const levels = snapshot().tlsLevels;
    expect(levels.at(-1)).toEqual({ name: 'exact-domain', description: 'Mandatory TLS; the certificate names exactly the recipient domain', failsClosed: true, authenticates: true });
    expect(failsClosed(tlsRow('exact-domain'), levels)).toBe(true);
    unregister.pop()!();
    expect(failsClosed(tlsRow('exact-domain'), snapshot().tlsLevels)).toBe(false);
  });
});

describe('firewall profiles in the renderer', () => {
  it('offers every built-in profile with its vendor words, off command and a PIX\'s own EHLO outcome', () => {
    const profiles = snapshot().firewallProfiles;
    expect(profileChoices(profiles).map((c) => c.label)).toEqual([
      'pass — no inspection (no fixup protocol smtp 25 / no inspect esmtp)',
      'pix-4.4 — fixup protocol smtp 25 (PIX 4.4)',
      'pix-5.1 — fixup protocol smtp 25 (Mailguard)',
      'asa — inspect esmtp (default map)',
      'strip-starttls — deletes STARTTLS, answers 454',
      'ntlm-downgrade — clears NTLM 128/56/SEAL flags',
      'injector — injects plaintext after STARTTLS',
      'rewrite — no rules',
    ]);
    expect(offCommand(profiles, 'asa')).toBe('no inspect esmtp');
    expect(offCommand(profiles, 'pix-5.1')).toBe('no fixup protocol smtp 25');
    expect(offCommand(profiles, 'strip-starttls')).toBeUndefined();
    expect([ownEhlo(profiles, 'pix-4.4'), ownEhlo(profiles, 'pix-5.1'), ownEhlo(profiles, 'asa')]).toEqual(['x', 'noop', undefined]);
  });

  it('offers a profile registered in the engine, which a path spec then accepts', () => {
    expect(() => parseProfileSpec('slow-asa')).toThrow(/unknown firewall profile "slow-asa": one of pass, pix-4.4/);
    unregister.push(registerFirewallProfile({
      name: 'slow-asa', summary: 'ASA inspect esmtp behind an 80 ms link',
      stages: [{ name: 'mask-banner', config: {} }, { name: 'esmtp-inspect', config: {} }, { name: 'latency', config: { ms: 80 } }],
    }));
    expect(profileChoices(snapshot().firewallProfiles).at(-1)).toEqual({ id: 'slow-asa', label: 'slow-asa — ASA inspect esmtp behind an 80 ms link' });
    expect(parseProfileSpec('slow-asa').profile).toBe('slow-asa');
  });
});

describe('a firewall stage\'s settings in the Firewall tab', () => {
  it('reads as key: value pairs with room to wrap between a list\'s items, where its JSON had none', () => {
    expect(stageParams({ allowTls: false, ehloKeywords: ['8BITMIME', 'PIPELINING'], maxLine: 512 }))
      .toBe('allowTls: false · ehloKeywords: "8BITMIME", "PIPELINING" · maxLine: 512');
    expect(stageParams({})).toBe('');
  });
});
