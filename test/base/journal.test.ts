import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Journal, flushStats } from '../../app/base/journal.ts';
import { Workspace } from '../../app/base/store.ts';
import { QueueStore, type QueueEntry } from '../../app/mta/queue.ts';

/** Let the current turn of the event loop end (the journal writes what it appended then). */
const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-journal-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const entry = (id: string, state: QueueEntry['state'] = 'queued'): QueueEntry => ({
  id, org: 'intellinet', from: 'alice@intellinet.example', to: ['sean@ntsol.example'], domain: 'ntsol.example', state, arrivedAt: 1, attempts: [],
});

describe('Journal', () => {
  it('replays queue and mailbox records, bodies by position, and the highest id counter', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    j.append({ k: 'q', n: 3, entry: entry('Q1') }, Buffer.from('Subject: one\r\n\r\nbody one\r\n'));
    const item = { id: 'M1', user: 'sean', kind: 'mail', from: 'a', subject: 's', receivedAt: 2, size: 5 };
    j.append({ k: 'm', n: 4, item }, Buffer.from('hello'));
    j.append({ k: 'e', n: 5, entry: entry('Q1', 'deferred') });
    await j.close();
    const again = new Journal(file);
    expect(again.counter).toBe(5);
    expect(again.entries.get('Q1')?.entry.state).toBe('deferred');
    expect(again.readAt(again.entries.get('Q1')!.body!).toString()).toContain('body one');
    expect(again.readAt(again.mailboxes.get('sean')!.get('M1')!.body).toString()).toBe('hello');
    expect(again.recovery).toMatchObject({ records: 4, cutBytes: 0 }); // three records and the close's flush marker
    await again.close();
  });

  it('detects a torn tail (a record cut short) and cuts it off, keeping every record before it', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    j.append({ k: 'q', n: 1, entry: entry('Q1') }, Buffer.from('first'));
    await j.close();
    const good = fs.statSync(file).size;
    // A second record whose write a kill cut short: its header promises more bytes than follow.
    const torn = Buffer.alloc(40);
    torn.writeUInt32BE(0x50434a31, 0);
    torn.writeUInt32BE(500, 4);
    torn.writeUInt32BE(20, 8);
    fs.appendFileSync(file, torn);
    const again = new Journal(file);
    expect(again.recovery.cutBytes).toBe(40);
    expect(again.recovery.cutReason).toMatch(/cut short at offset/);
    expect([...again.entries.keys()]).toEqual(['Q1']);
    expect(fs.statSync(file).size).toBe(good);
    again.append({ k: 'q', n: 2, entry: entry('Q2') }, Buffer.from('second'));
    await again.close();
    expect([...new Journal(file, { readOnly: true }).entries.keys()]).toEqual(['Q1', 'Q2']);
  });

  it('detects a corrupt record (checksum) and never replays it or anything after it', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    j.append({ k: 'q', n: 1, entry: entry('Q1') }, Buffer.from('first'));
    const second = j.size;
    j.append({ k: 'q', n: 2, entry: entry('Q2') }, Buffer.from('second message body'));
    j.append({ k: 'q', n: 3, entry: entry('Q3') }, Buffer.from('third'));
    await j.close();
    const bytes = fs.readFileSync(file);
    bytes[second + 40] ^= 0xff; // flip a byte inside the second record's header JSON
    fs.writeFileSync(file, bytes);
    const again = new Journal(file);
    expect(again.recovery.cutReason).toBe(`checksum mismatch in the record at offset ${second}`);
    expect([...again.entries.keys()]).toEqual(['Q1']);
    expect(again.counter).toBe(1);
    await again.close();
  });

  it('a read-only journal never cuts: postcard-lab queue may read a running lab\'s file', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    j.append({ k: 'q', n: 1, entry: entry('Q1') }, Buffer.from('first'));
    await endOfTurn();
    fs.appendFileSync(file, Buffer.from('half a rec'));
    const size = fs.statSync(file).size;
    const ro = new Journal(file, { readOnly: true });
    expect([...ro.entries.keys()]).toEqual(['Q1']);
    expect(fs.statSync(file).size).toBe(size);
    expect(() => ro.append({ k: 'e', n: 1, entry: entry('Q1') })).toThrow(/read-only/);
  });

  it('group commit: 200 concurrent commits share a handful of flushes, and each resolves only after one', async () => {
    const j = new Journal(path.join(tmp(), 'journal.log'));
    const before = flushStats.fsyncs;
    const commits = Array.from({ length: 200 }, (_, i) => {
      j.append({ k: 'q', n: i, entry: entry(`Q${i}`) }, Buffer.alloc(2048, 65));
      return j.commit();
    });
    await Promise.all(commits);
    const flushes = flushStats.fsyncs - before;
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThanOrEqual(5);
    await j.close();
  });

  it('tells records whose 250 never went out from acknowledged ones by the flush marker after them', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    const item = (id: string) => ({ id, user: 'sean', kind: 'mail' as const, from: 'a', subject: 's', receivedAt: 2, size: 1 });
    j.append({ k: 'm', n: 1, item: item('M1'), w: 1, src: { org: 'intellinet', id: 'Q1' } }, Buffer.from('x'));
    await j.commit();
    // The process dies after writing M2 (at the end of the turn that appended it) and before the
    // flush that would acknowledge it.
    j.append({ k: 'm', n: 2, item: item('M2'), w: 1, src: { org: 'intellinet', id: 'Q2' } }, Buffer.from('y'));
    await endOfTurn();
    const again = new Journal(file);
    expect(again.acknowledged).toEqual([{ org: 'intellinet', id: 'Q1' }]);
    expect(again.unacknowledged).toEqual([{ kind: 'm', id: 'M2', user: 'sean', src: { org: 'intellinet', id: 'Q2' } }]);
    again.discard(again.unacknowledged[0]);
    await again.close();
    expect([...new Journal(file, { readOnly: true }).mailboxes.get('sean')!.keys()]).toEqual(['M1']);
  });

  it('compacts on open when most of the file is dead, keeping every live record and body', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    for (let i = 0; i < 50; i++) {
      j.append({ k: 'q', n: i, entry: entry(`Q${i}`) }, Buffer.alloc(4096, 66));
      j.append({ k: 'e', n: i, entry: entry(`Q${i}`, i === 7 ? 'deferred' : 'delivered') });
    }
    await j.close();
    const before = fs.statSync(file).size;
    const again = new Journal(file, { compactAbove: 1 });
    expect(again.recovery.compacted).toEqual({ before, after: again.size });
    expect(again.size).toBeLessThan(before / 4);
    expect(again.entries.size).toBe(50);
    expect(again.readAt(again.entries.get('Q7')!.body!)).toEqual(Buffer.alloc(4096, 66));
    await again.close();
  });
});

describe('Workspace recovery', () => {
  it('removes temporary files a killed write left behind, and says which', () => {
    const root = tmp();
    fs.mkdirSync(path.join(root, 'orgs/intellinet'), { recursive: true });
    fs.writeFileSync(path.join(root, 'orgs/intellinet/.lab.json.123.4.tmp'), 'half');
    fs.writeFileSync(path.join(root, 'orgs/intellinet/journal.log.compact'), 'half');
    fs.writeFileSync(path.join(root, 'lab.json'), '{}');
    const ws = new Workspace(root);
    expect(ws.recovery.removed.sort()).toEqual(['orgs/intellinet/.lab.json.123.4.tmp', 'orgs/intellinet/journal.log.compact']);
    expect(fs.existsSync(path.join(root, 'lab.json'))).toBe(true);
  });
});

describe('Journal write path: records batched per turn, acknowledged only after the flush', () => {
  it('writes a turn\'s records with one write at its end, and reads a body still in memory', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    const writes = vi.spyOn(fs, 'writevSync');
    try {
      const a = j.append({ k: 'q', n: 1, entry: entry('Q1') }, Buffer.from('first body'));
      j.append({ k: 'e', n: 2, entry: entry('Q1', 'in-flight') });
      const c = j.append({ k: 'q', n: 3, entry: entry('Q2') }, Buffer.from('second body'));
      expect(fs.statSync(file).size).toBe(0);
      expect(j.readAt(a).toString()).toBe('first body');
      expect(j.readAt(c).toString()).toBe('second body');
      await endOfTurn();
      expect(writes).toHaveBeenCalledTimes(1);
      expect(fs.statSync(file).size).toBe(j.size);
      expect(j.readAt(c).toString()).toBe('second body');
      // What a killed process leaves: the records, unflushed, replay in order.
      const seen = new Journal(file, { readOnly: true });
      expect([...seen.entries.keys()]).toEqual(['Q1', 'Q2']);
      expect(seen.readAt(seen.entries.get('Q2')!.body!).toString()).toBe('second body');
    } finally {
      writes.mockRestore();
      await j.close();
    }
  });

  it('a record appended but not yet flushed is not acknowledged; its commit resolves after the flush, marker already in the file', async () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    const item = { id: 'M1', user: 'sean', kind: 'mail' as const, from: 'a', subject: 's', receivedAt: 2, size: 1 };
    j.append({ k: 'm', n: 1, item, w: 1, src: { org: 'intellinet', id: 'Q1' } }, Buffer.from('x'));
    const flushes = flushStats.fsyncs;
    let resolved = false;
    const commit = j.commit().then(() => {
      resolved = true;
      // At the moment the 250 may go out, the file already says so.
      const seen = new Journal(file, { readOnly: true });
      expect(flushStats.fsyncs).toBeGreaterThan(flushes);
      expect(seen.acknowledged).toEqual([{ org: 'intellinet', id: 'Q1' }]);
      expect(seen.unacknowledged).toEqual([]);
    });
    await endOfTurn();
    // Written but not flushed yet: a process killed now leaves it unacknowledged.
    expect(resolved).toBe(false);
    expect(new Journal(file, { readOnly: true }).unacknowledged).toEqual([{ kind: 'm', id: 'M1', user: 'sean', src: { org: 'intellinet', id: 'Q1' } }]);
    await commit;
    expect(resolved).toBe(true);
    await j.close();
  });

  it('SIGKILL: every record whose commit resolved in the killed process is replayed, with its body', async () => {
    const dir = tmp();
    const file = path.join(dir, 'journal.log');
    const child = path.join(dir, 'writer.mts');
    const journalModule = path.resolve(import.meta.dirname, '../../app/base/journal.ts');
    // Twenty writers at once, as concurrent SMTP sessions are: each appends, commits, then says so.
    fs.writeFileSync(child, `
      import { Journal } from ${JSON.stringify(journalModule)};
      const j = new Journal(${JSON.stringify(file)});
      let next = 0;
      const entry = (id) => ({ id, org: 'o', from: 'a@b', to: ['c@d'], domain: 'd', state: 'queued', arrivedAt: 1, attempts: [] });
      const writer = async () => {
        for (;;) {
          const i = next++;
          j.append({ k: 'q', n: i, entry: entry('Q' + i), w: 1, src: { org: 'o', id: 'Q' + i } }, Buffer.alloc(1000 + (i % 7) * 300, 65 + (i % 26)));
          await j.commit();
          process.stdout.write('acked Q' + i + '\\n');
        }
      };
      for (let w = 0; w < 20; w++) void writer();
    `);
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let out = '';
    await new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.split('\n');
        out = lines.pop()!;
        for (const l of lines) if (l.startsWith('acked ')) acked.push(l.slice(6));
        if (acked.length >= 300 && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
      });
      proc.on('exit', () => resolve());
    });
    // Lines read after the kill were still written before it.
    for (const l of out.split('\n')) if (l.startsWith('acked ')) acked.push(l.slice(6));
    expect(acked.length).toBeGreaterThanOrEqual(300);
    const again = new Journal(file);
    for (const id of acked) {
      const i = Number(id.slice(1));
      const stored = again.entries.get(id);
      expect(stored, id).toBeDefined();
      expect(again.readAt(stored!.body!)).toEqual(Buffer.alloc(1000 + (i % 7) * 300, 65 + (i % 26)));
    }
    const unacked = new Set(again.unacknowledged.map((u) => u.id));
    expect(acked.filter((id) => unacked.has(id))).toEqual([]);
    await again.close();
  }, 30_000);
});

describe('QueueStore: an entry retried for days', () => {
  const transcript = Array.from({ length: 20 }, (_, i) => ({ dir: 'in' as const, layer: 'clear' as const, text: `451 4.4.1 line ${i} ${'x'.repeat(80)}` }));
  const retry = (e: QueueEntry, i: number) => {
    e.attempts.push({ at: i, host: 'mail.ntsol.example', result: 'deferred', reason: `try ${i}`, transcript });
    e.state = 'deferred';
    e.nextAttemptAt = i + 1;
    e.lastError = `try ${i}`;
  };

  it('writes each attempt once, however many came before, and replays them all with the last state', async () => {
    const root = tmp();
    const file = path.join(root, 'orgs/intellinet/journal.log');
    let ws = new Workspace(root);
    let q = new QueueStore(ws, 'intellinet');
    const e = entry('Q1');
    q.add(e, Buffer.from('Subject: x\r\n\r\nbody\r\n'), 1);
    const sizes: number[] = [];
    for (let i = 0; i < 150; i++) {
      retry(e, i);
      q.save(e, 1);
      await q.commit();
      sizes.push(fs.statSync(file).size);
    }
    // The 150th retry adds what the second did (but for the digits of its numbers): one attempt,
    // not the whole history again.
    expect(sizes[149] - sizes[148]).toBeLessThan(sizes[2] - sizes[1] + 40);
    await ws.close();

    // A restart goes on from the replayed entry: its later records carry only the later attempts.
    ws = new Workspace(root);
    q = new QueueStore(ws, 'intellinet');
    const [recovered] = q.pending();
    expect(recovered.attempts).toHaveLength(150);
    expect(recovered.attempts[137]).toMatchObject({ reason: 'try 137', transcript });
    expect(recovered).toMatchObject({ state: 'deferred', nextAttemptAt: 150, lastError: 'try 149' });
    const before = fs.statSync(file).size;
    retry(recovered, 150);
    recovered.attempts.push({ at: 151, host: 'mail.ntsol.example', result: 'delivered', transcript: [] });
    recovered.state = 'delivered';
    delete recovered.nextAttemptAt;
    delete recovered.lastError;
    q.save(recovered, 1);
    await q.commit();
    expect(fs.statSync(file).size - before).toBeLessThan(2 * (sizes[2] - sizes[1]));
    await ws.close();

    const replayed = new Journal(file, { readOnly: true });
    const done = replayed.entries.get('Q1')!;
    expect((done.entry as QueueEntry).attempts.map((a) => a.result)).toEqual([...Array(151).fill('deferred'), 'delivered']);
    expect(done.entry).toMatchObject({ state: 'delivered' });
    expect(done.entry.nextAttemptAt).toBeUndefined();
    expect(done.entry.lastError).toBeUndefined();
    // A delivered entry no longer holds its message.
    expect(done.body).toBeUndefined();
  });
});
