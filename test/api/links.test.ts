/**
 * Links between transcript lines and packets (issue 17 item 7, docs/packet-view.md "Links"): by
 * connection and byte offset in the stream, both ways, at either side of a middlebox, and inside
 * the NTLM seal — the sealed EHLO links to its sealed frame, not to the clear EHLO.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { parse, stringify } from 'yaml';
import { drive, SCENARIOS, type Driven } from './helpers.ts';

const open: Driven[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.session.close()));
});

/**
 * ntlm-one-way with a sender that says EHLO again inside the seal (RFC 4954 §4; Exchange 2019's
 * habit), through a firewall whose rewrite stage lengthens an EHLO reply line: the offsets on
 * the two sides of the firewall differ after it.
 */
function sealedEhloScenarios(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-links-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = parse(fs.readFileSync(path.join(SCENARIOS, 'ntlm-one-way.yaml'), 'utf8'));
  s.id = 'sealed-ehlo';
  s.lab.orgs[0].profile = 'exchange-2019';
  s.lab.orgs[1].profile = 'exchange-2019';
  s.lab.paths = [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile: 'rewrite', with: { rewrite: { rules: [{ dir: 's2c', match: '250-DSN', replace: '250-DSN-AND-SOME-MORE' }] } } } }];
  s.steps = s.steps.slice(0, 3);
  fs.writeFileSync(path.join(dir, 'sealed-ehlo.yaml'), stringify(s));
  return dir;
}

async function ran(id: string, dir?: string): Promise<Driven> {
  const d = drive(dir);
  open.push(d);
  await d.call('openScenario', { id });
  await d.call('startLab', {});
  const run = await d.call('runAllSteps', {});
  expect(run.results.filter((r) => r.status === 'failed')).toEqual([]);
  return d;
}

describe('transcript lines and packets, linked by connection and offset', () => {
  it('links every line of a session both ways, at each side of a firewall that changes lengths', async () => {
    const d = await ran('sealed-ehlo', sealedEhloScenarios());
    const { snapshot } = await d.call('getSnapshot', {}).then((s) => ({ snapshot: s }));
    const entry = snapshot.orgs.find((o) => o.id === 'intellinet')!.queue[0];
    const { attempts } = await d.call('getTranscripts', { org: 'intellinet', id: entry.id });
    const lines = attempts[0].sender.split('\n');
    const clearEhlo = lines.indexOf('-> EHLO mail.intellinet.example');
    const sealedEhlo = lines.indexOf('=> EHLO mail.intellinet.example');
    expect(clearEhlo).toBeGreaterThanOrEqual(0);
    expect(sealedEhlo).toBeGreaterThan(clearEhlo);
    expect(attempts[0].linked).toEqual(expect.arrayContaining([clearEhlo, sealedEhlo]));
    const { points } = await d.call('listCapturePoints', {});
    // The path's three points: as sent, on the wire past the firewall, as received (the listeners'
    // points for sessions from outside the lab saw none of this session).
    const pathPoints = points.filter((p) => p.kind === 'path').map((p) => p.id);
    expect(pathPoints).toEqual(['intellinet-ntsol/sent', 'intellinet-ntsol/wire', 'intellinet-ntsol/received']);

    for (const point of pathPoints) {
      const packetOf = new Map<number, number>();
      for (const line of attempts[0].linked) {
        const found = await d.call('packetOfLine', { org: 'intellinet', id: entry.id, attempt: 0, line, point });
        expect(found.point).toBe(point);
        packetOf.set(line, found.no);
        const page = await d.call('pagePackets', { point, from: found.index, limit: 1 });
        expect(page.rows[0].no).toBe(found.no);
      }
      // Back from the packet: the first line it carries (the lines of one reply share a packet).
      for (const [line, no] of packetOf) {
        const first = [...packetOf].find(([, n]) => n === no)![0];
        const detail = await d.call('packetDetail', { point, no, decrypt: true });
        expect({ point, text: lines[line], back: detail.link?.line, info: detail.info }).toEqual({ point, text: lines[line], back: first, info: detail.info });
      }
      // Every command the sender wrote went in a packet of its own.
      const sent = attempts[0].linked.filter((l) => /^(->|=>)/.test(lines[l]));
      expect(new Set(sent.map((l) => packetOf.get(l))).size).toBe(sent.length);
    }

    // The sealed EHLO's packet is a sealed frame: without the keys it shows no EHLO at all.
    const sealed = await d.call('packetOfLine', { org: 'intellinet', id: entry.id, attempt: 0, line: sealedEhlo, point: 'intellinet-ntsol/wire' });
    const eavesdropper = await d.call('packetDetail', { point: sealed.point, no: sealed.no });
    expect(eavesdropper.info).not.toContain('EHLO');
    expect(eavesdropper.link).toMatchObject({ line: sealedEhlo, text: 'EHLO mail.intellinet.example' });
    const clear = await d.call('packetOfLine', { org: 'intellinet', id: entry.id, attempt: 0, line: clearEhlo, point: 'intellinet-ntsol/wire' });
    expect(clear.no).toBeLessThan(sealed.no);
    expect((await d.call('packetDetail', { point: clear.point, no: clear.no })).info).toContain('EHLO mail.intellinet.example');
  });

  it('refuses a line that never crossed the wire, and an attempt that does not exist', async () => {
    const d = await ran('postcard');
    const entry = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue[0];
    const { attempts } = await d.call('getTranscripts', { org: 'intellinet', id: entry.id });
    const note = attempts[0].sender.split('\n').findIndex((l) => l.startsWith('==='));
    if (note >= 0) expect((await d.fail('packetOfLine', { org: 'intellinet', id: entry.id, attempt: 0, line: note })).code).toBe('not-found');
    expect(await d.fail('packetOfLine', { org: 'intellinet', id: entry.id, attempt: 5, line: 0 })).toEqual({ code: 'not-found', message: `no attempt 6 of queue entry ${entry.id} at intellinet` });
  });
});
