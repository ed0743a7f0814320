/**
 * A scenario run's exports see every session to its end (app/lab/lab.ts `wireClosed`, used by
 * app/scenario/run.ts before `beforeStop`): a sender that gives up sends `QUIT` and closes without
 * waiting for the `221` (RFC 5321 §4.1.1.10 allows it; Postfix's `smtp_skip_quit_response`
 * defaults to it), so when the step expecting the deferral is done those bytes are still crossing.
 */
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLab } from '../../app/lab/lab.ts';
import { parseScenario } from '../../app/scenario/load.ts';
import { runScenario } from '../../app/scenario/run.ts';
import type { Lab } from '../../app/lab/lab.ts';
import { twoOrgs } from '../helpers/lab.ts';

// Mailguard turns EHLO and AUTH into NOOP; the IMS gets "250 OK" where a 334 was due and gives up.
const yaml = `
id: gives-up
title: The sender gives up and says QUIT
level: advanced
lab:
  seed: 1
  orgs:
    - id: intellinet
      domain: intellinet.example
      profile: exchange-5.5
      nt: { domain: INTELLINET }
      users: [alice]
      hosts: [{ name: mail.intellinet.example, address: 192.0.2.10 }]
      security:
        - { domain: ntsol.example, method: ntlm, logon: { domain: INTELLINET, user: DOUG, password: Sunrise-42 } }
    - id: ntsol
      domain: ntsol.example
      profile: exchange-5.5
      nt: { domain: NTSOL }
      users: [sean]
      hosts: [{ name: mail.ntsol.example, address: 198.51.100.25 }]
      accounts: [{ domain: INTELLINET, user: DOUG, password: Sunrise-42 }]
  paths:
    - { between: [intellinet, ntsol], via: firewall, firewall: { profile: pix-5.1 } }
steps:
  - send: { id: m1, from: alice@intellinet.example, to: sean@ntsol.example, subject: x, body: y }
  - expect: { message: m1, outcome: deferred, wire: no-leak }
`;

describe('a scenario run, at its end', () => {
  it('hands its exports a capture with the abandoned session\'s QUIT, 221 and close, on both sides of the firewall', async () => {
    const loaded = parseScenario(yaml, 'gives-up.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    let seen: { open: string[]; s2c: Record<string, string>; c2s: Record<string, string> } | undefined;
    const result = await runScenario(loaded.file, loaded.id, loaded.scenario, {
      beforeStop: (lab: Lab) => {
        const text = (dir: 'c2s' | 's2c') => Object.fromEntries(['sent', 'received'].map((p) => [p,
          [...lab.taps.records].filter((r) => r.dir === dir && r.point === `intellinet-ntsol/${p}`).map((r) => r.bytes.toString('latin1')).join('')]));
        seen = {
          open: [...lab.taps.connections.values()].filter((c) => c.closedAt === undefined).map((c) => `${c.point}/${c.conn}`),
          c2s: text('c2s'), s2c: text('s2c'),
        };
      },
    });
    expect(result.status, JSON.stringify(result.steps)).toBe('passed');
    expect(seen?.open).toEqual([]);
    for (const p of ['sent', 'received']) {
      expect(seen?.c2s[p]).toMatch(/QUIT\r\n$/);
      expect(seen?.s2c[p]).toMatch(/\r\n221 [^\r\n]*\r\n$/);
    }
  }, 60_000);

  it('waits no longer than its bound for a session left open, and answers as soon as the last one closes', async () => {
    const lab = await createLab(twoOrgs());
    try {
      expect(await lab.wireClosed(50)).toBe(true);
      // Someone at a terminal, connected to NT Solutions' host from outside and idle (its relay taps it).
      const e = lab.endpoints().find((x) => x.type === 'host' && x.name === 'mail.ntsol.example');
      if (e?.type !== 'host' || !e.smtp) throw new Error('no listener for mail.ntsol.example');
      const idle = net.connect({ host: '127.0.0.1', port: Number(e.smtp.split(':')[1]) });
      await once(idle, 'data'); // the greeting: the relay has opened its tap connection
      expect(await lab.wireClosed(100)).toBe(false);
      const waiting = lab.wireClosed(10_000);
      idle.end('QUIT\r\n');
      expect(await waiting).toBe(true);
    } finally {
      await lab.stop();
    }
  });
});
