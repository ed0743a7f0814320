import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Journal, flushStats } from '../../app/base/journal.ts';
import { Workspace } from '../../app/base/store.ts';
import type { QueueEntry } from '../../app/mta/queue.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-journal-'));
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

  it('a read-only journal never cuts: postcard-lab queue may read a running lab\'s file', () => {
    const file = path.join(tmp(), 'journal.log');
    const j = new Journal(file);
    j.append({ k: 'q', n: 1, entry: entry('Q1') }, Buffer.from('first'));
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
    // The process dies after writing M2 and before the flush that would acknowledge it.
    j.append({ k: 'm', n: 2, item: item('M2'), w: 1, src: { org: 'intellinet', id: 'Q2' } }, Buffer.from('y'));
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
