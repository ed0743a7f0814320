/**
 * Bounded memory (docs/decisions.md, "Bounded memory"; issue 11's `load` figure): the receivers'
 * per-connection server logs are a ring with a line cap per connection, finished queue entries keep
 * their transcripts only while among the newest, and the capture stays within its byte budget —
 * checked at reduced limits by counting what the lab retained, never by timing anything. And the
 * packet view is built when read (docs/decisions.md, "The packet view is built when read"): what a
 * user reads must not depend on when they read it, and waiting tap events never hold more than the
 * capture budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { retentionNote, serverLog } from '../../app/observe/server-log.ts';
import type { PacketRow } from '../../app/capture/store.ts';
import { twoOrgs } from '../helpers/lab.ts';

const KiB = 1024;
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

/**
 * `n` messages, one after the other. `closeEach`: also wait for each session's last bytes (QUIT,
 * 221, the FINs) before the next message, so its connection never overlaps the next one's on the
 * wire and two labs capture their packets in the same order, however busy the machine is.
 */
async function sendAll(lab: Lab, n: number, o: { closeEach?: boolean } = {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    lab.send({ id: `m${i}`, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: `Message ${i}`, body: `body ${i}` });
    expect(await lab.settle(`m${i}`, false)).toBe('delivered');
    if (o.closeEach) await allClosed(lab);
  }
}

/** A delivered message's connection still closes after its 250 (QUIT, 221, FIN): wait for every close. */
async function allClosed(lab: Lab): Promise<void> {
  await expect.poll(() => [...lab.taps.connections.values()].every((c) => c.closedAt !== undefined), { timeout: 10_000 }).toBe(true);
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

/** What a row shows that does not depend on real time or loopback ports. */
const shown = (r: PacketRow) => [r.no, r.point, r.conn, r.source, r.destination, r.protocol, r.length, r.info, r.leak, r.rewritten];

describe('the packet view is built when read', () => {
  it('a lab read after the run shows exactly what a lab read after every connection shows', async () => {
    const watched = await createLab(twoOrgs());
    const unwatched = await createLab(twoOrgs());
    labs.push(watched, unwatched);
    // The renderer's way: read the view each time a connection closes.
    let reads = 0;
    watched.events.subscribe((e) => {
      if (e.type === 'capture.changed') reads += watched.capture.page({ point: e.point, limit: 0 }).total > 0 ? 1 : 0;
    });
    // Two runs compared packet by packet: a session's FIN and the next session's SYN may cross in
    // either order on a busy machine, so each session ends before the next begins.
    await sendAll(watched, 4, { closeEach: true });
    await sendAll(unwatched, 4, { closeEach: true });
    expect(reads).toBeGreaterThan(0);

    // Nothing read yet: the unwatched lab has kept its tap records but built no packets from them,
    // so it counts less against the budget than the watched one (packets cost their objects).
    expect(unwatched.taps.records.length).toBe(watched.taps.records.length);
    expect(unwatched.taps.budget.used).toBeLessThan(watched.taps.budget.used);

    const all = (lab: Lab) => lab.capture.page({ limit: 100_000 }).rows.map(shown);
    const seen = all(unwatched);
    expect(seen.length).toBeGreaterThan(4 * 10);
    expect(seen).toEqual(all(watched));
    expect(unwatched.capture.page({ filter: 'smtp.req.command == "MAIL"', limit: 10 }).matched).toBe(4);
    // Once read, both hold the same.
    expect(unwatched.taps.budget.used).toBe(watched.taps.budget.used);
  }, 60_000);

  it('with nobody reading, waiting events never hold more than the capture budget, and what went is counted when read', async () => {
    const max = 64 * KiB;
    const lab = await createLab(twoOrgs((l) => { l.settings = { captureLimit: max }; }));
    labs.push(lab);
    await sendAll(lab, 40);
    await allClosed(lab);
    // The tap log had to let records go; the view took in what waited each time it did.
    expect(lab.taps.dropped).toBeGreaterThan(0);
    expect(lab.taps.budget.used).toBeLessThanOrEqual(max);
    const page = lab.capture.page({ limit: 100_000 });
    expect(lab.taps.budget.used).toBeLessThanOrEqual(max);
    expect(page.dropped).toBeGreaterThan(0);
    // The newest message is there to look at, down to its DATA.
    expect(lab.capture.page({ filter: 'smtp.req.command == "DATA"', limit: 100 }).matched).toBeGreaterThan(0);
    expect(page.rows.at(-1)!.no).toBe(page.total + page.dropped);
  }, 60_000);
});
