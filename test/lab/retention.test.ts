/**
 * Bounded memory (docs/decisions.md, "Bounded memory"; issue 11's `load` figure): the receivers'
 * per-connection server logs are a ring with a line cap per connection, finished queue entries keep
 * their transcripts only while among the newest, and the capture stays within its byte budget —
 * checked at reduced limits by counting what the lab retained, never by timing anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { retentionNote, serverLog } from '../../app/observe/server-log.ts';
import { twoOrgs } from '../helpers/lab.ts';

const KiB = 1024;
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function sendAll(lab: Lab, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    lab.send({ id: `m${i}`, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: `Message ${i}`, body: `body ${i}` });
    expect(await lab.settle(`m${i}`, false)).toBe('delivered');
  }
}

describe('what a lab keeps in memory is bounded', () => {
  it('12 messages with room for 5 connections, 3 transcripts and 64 KiB of capture: the newest are kept, the rest counted', async () => {
    const max = 64 * KiB;
    const lab = await createLab(twoOrgs((l) => { l.settings = { captureLimit: max }; }), { retain: { serverLogConnections: 5, transcripts: 3 } });
    labs.push(lab);
    await sendAll(lab, 12);

    // Server logs: a ring of the newest 5 connections; every older one was let go and counted.
    expect(lab.serverLogs.size).toBe(5);
    expect(lab.serverLogsDropped.connections).toBe(7);
    expect(lab.serverLogsDropped.lines).toBeGreaterThan(7 * 5);
    // The kept ones are the newest: the last message's session is among them, with its DATA.
    const sender = lab.servers.get('intellinet')!;
    const last = [...sender.entries.values()].find((e) => e.ref === 'm11')!;
    const lastConn = last.attempts.at(-1)!.conn!;
    expect(lab.serverLogs.get(lastConn)!.some((l) => l.dir === 'in' && l.text === 'DATA')).toBe(true);
    const first = [...sender.entries.values()].find((e) => e.ref === 'm0')!;
    expect(lab.serverLogs.has(first.attempts[0].conn!)).toBe(false);

    // Transcripts: the newest 3 finished entries keep theirs; the 9 older keep outcome and attempts.
    const entries = [...sender.entries.values()];
    expect(entries).toHaveLength(12);
    expect(sender.transcriptsKept).toBe(3);
    const kept = entries.filter((e) => e.attempts.every((a) => a.transcript.length > 0));
    expect(kept.map((e) => e.ref).sort()).toEqual(['m10', 'm11', 'm9']);
    const dropped = entries.filter((e) => e.attempts.some((a) => (a.transcriptDropped ?? 0) > 0));
    expect(dropped).toHaveLength(9);
    for (const e of dropped) {
      expect(e.state).toBe('delivered');
      expect(e.attempts[0]).toMatchObject({ result: 'delivered', transcript: [] });
    }

    // The capture: within its budget, the oldest dropped and counted.
    expect(lab.taps.budget.used).toBeLessThanOrEqual(max);
    expect(lab.capture.page({ limit: 0 }).dropped).toBeGreaterThan(0);

    // The log view says what was let go (the renderer shows this note above the logs).
    const note = retentionNote(lab, 'intellinet')!;
    expect(note).toMatch(/only the newest 5 of the lab's are kept \(7 older ones let go\)/);
    expect(note).toMatch(/9 older finished messages no longer keep their session transcripts/);
    expect(serverLog(lab, 'ntsol').retention).toMatch(/newest 5/);
  }, 60_000);

  it('a connection keeps at most its line cap; the lines past it are counted, the session still delivers', async () => {
    const lab = await createLab(twoOrgs(), { retain: { serverLogLines: 6 } });
    labs.push(lab);
    await sendAll(lab, 2);
    expect(lab.serverLogs.size).toBe(2);
    for (const lines of lab.serverLogs.values()) expect(lines).toHaveLength(6);
    expect(lab.serverLogsDropped.connections).toBe(0);
    expect(lab.serverLogsDropped.lines).toBeGreaterThan(0);
    expect(retentionNote(lab, 'ntsol')).toMatch(/at most 6 lines each/);
  }, 60_000);

  it('with the default limits a short lab keeps everything and says nothing', async () => {
    const lab = await createLab(twoOrgs());
    labs.push(lab);
    await sendAll(lab, 2);
    expect(lab.serverLogsDropped).toEqual({ connections: 0, lines: 0 });
    expect([...lab.servers.get('intellinet')!.entries.values()].every((e) => e.attempts.every((a) => a.transcript.length > 0 && !a.transcriptDropped))).toBe(true);
    expect(serverLog(lab, 'intellinet').retention).toBeUndefined();
  }, 60_000);
});
