// One byte budget for the tap log and the packet store (app/capture/budget.ts, issue 18): a big
// message is kept once, the oldest bytes go first and are counted, the newest stay. Sizes are
// measured on the structures themselves (the buffers they hold), never as RSS or time.
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { lab as labSchema } from '../../app/config/lab.ts';
import { twoOrgs } from '../helpers/lab.ts';
import { CaptureBudget, PACKET_OBJECT_BYTES, RECORD_OBJECT_BYTES } from '../../app/capture/budget.ts';
import { CaptureStore } from '../../app/capture/store.ts';
import { frameLength } from '../../app/capture/frame.ts';
import { TapLog, type TapRecord } from '../../app/capture/tap.ts';
import { plainSession, tapScript, type Chunk } from './tap-script.ts';

const KiB = 1024;

/** A log and a store wired as a lab wires them: the store ingests every tap event, one budget. */
function labCapture(maxBytes: number): { taps: TapLog; store: CaptureStore; budget: CaptureBudget } {
  const budget = new CaptureBudget(maxBytes);
  const taps = new TapLog(budget);
  const store = new CaptureStore({ keys: taps.keys, budget });
  taps.subscribe((event) => store.ingest(event));
  return { taps, store, budget };
}

/** Replay scripted events through the log, as the relay reports them. */
function feed(taps: TapLog, chunks: Chunk[], conn: string): void {
  for (const ev of tapScript(chunks, { conn })) {
    if (ev.kind === 'open') taps.open(ev.connection);
    else if (ev.kind === 'close') taps.close(ev.connection);
    else if (ev.kind === 'established') taps.established(ev.connection.conn, ev.connection.establishedAt ?? 0);
    else {
      const { seq: _seq, ...record } = ev.record;
      taps.data(record);
    }
  }
}

/**
 * Bytes the two structures keep, measured on them: the union of the byte ranges their buffers
 * cover in each backing memory, so a payload that is a view on a record's bytes adds nothing.
 */
function measured(taps: TapLog, store: CaptureStore): { bytes: number; logBytes: number; storePayload: number } {
  const ranges = new Map<ArrayBufferLike, [number, number][]>();
  const add = (b: Buffer) => {
    if (b.length === 0) return;
    const list = ranges.get(b.buffer) ?? [];
    list.push([b.byteOffset, b.byteOffset + b.length]);
    ranges.set(b.buffer, list);
  };
  let logBytes = 0;
  let storePayload = 0;
  for (const r of taps.records) {
    logBytes += r.bytes.length;
    add(r.bytes);
  }
  for (const p of store.packets()) {
    storePayload += p.payload.length;
    add(p.payload);
  }
  let bytes = 0;
  for (const list of ranges.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let end = -1;
    for (const [from, to] of list) {
      if (to <= end) continue;
      bytes += to - Math.max(from, end);
      end = to;
    }
  }
  return { bytes, logBytes, storePayload };
}

/** A session whose message body is `size` bytes, sent in 64 KiB chunks as a socket delivers it. */
function bigSession(size: number, fill: number): Chunk[] {
  const base = plainSession();
  const chunks: Chunk[] = base.slice(0, 9);
  for (let at = 0; at < size; at += 64 * KiB) chunks.push(['c2s', Buffer.alloc(Math.min(64 * KiB, size - at), fill)]);
  chunks.push(['c2s', '\r\n.\r\n'], ...base.slice(10));
  return chunks;
}

describe('capture budget: tap log and packet store together', () => {
  it('keeps a big message once: the packets are views on the tap records, counted once', () => {
    const { taps, store, budget } = labCapture(64 * 1024 * KiB);
    feed(taps, bigSession(2 * 1024 * KiB, 0x61), 'big');
    const m = measured(taps, store);
    // Both structures show the whole message...
    expect(m.logBytes).toBeGreaterThan(2 * 1024 * KiB);
    expect(m.storePayload).toBe(m.logBytes);
    // ...but the memory behind them is the log's buffers, once.
    expect(m.bytes).toBe(m.logBytes);
    // The budget counts exactly that, plus the synthesized TCP/IP headers of the packets and the
    // objects of every packet and record kept (PACKET_OBJECT_BYTES, RECORD_OBJECT_BYTES).
    const packets = [...store.packets()];
    const headers = packets.reduce((n, p) => n + frameLength(p) - p.payload.length, 0);
    expect(budget.used).toBe(m.logBytes + headers + packets.length * PACKET_OBJECT_BYTES + taps.records.length * RECORD_OBJECT_BYTES);
    expect(taps.dropped).toBe(0);
    expect(store.page({}).dropped).toBe(0);
  });

  it('stays within a small budget with a big message, drops the oldest first, counts them, and keeps the newest', () => {
    const max = 256 * KiB;
    const { taps, store, budget } = labCapture(max);
    feed(taps, plainSession('First message'), 'first');
    feed(taps, bigSession(3 * 1024 * KiB, 0x62), 'big');
    feed(taps, plainSession('Newest message'), 'last');

    // What the structures hold, measured on them, fits the budget (and so does the budget's count).
    const m = measured(taps, store);
    expect(m.bytes).toBeLessThanOrEqual(max);
    expect(budget.used).toBeLessThanOrEqual(max);
    expect(budget.used).toBeGreaterThan(max / 2);

    // The oldest went, counted in packets and bytes, in the log and in the packet view.
    expect(taps.dropped).toBeGreaterThan(0);
    expect(taps.droppedBytes).toBeGreaterThan(3 * 1024 * KiB - max);
    const page = store.page({ limit: 0 });
    expect(page.dropped).toBeGreaterThan(2000);
    expect(page.droppedBytes).toBeGreaterThan(3 * 1024 * KiB - max);
    const point = store.points()[0];
    expect([point.dropped, point.droppedBytes]).toEqual([page.dropped, page.droppedBytes]);
    expect(store.page({ filter: 'imf.subject == "First message"' }).matched).toBe(0);

    // The newest conversation is all there, in both structures, and so is the end of the big one.
    expect(store.page({ filter: 'imf.subject == "Newest message"' }).matched).toBe(1);
    expect([...taps.records].filter((r) => r.conn === 'last')).toHaveLength(plainSession().length);
    const lastRecord = taps.records.last() as TapRecord;
    const packets = [...store.packets()];
    expect(packets.at(-1)!.no).toBeGreaterThan(packets[0].no);
    expect(packets.filter((p) => p.recordSeq === lastRecord.seq)).toHaveLength(1);
    expect([...taps.records].some((r) => r.conn === 'big' && r.bytes.toString('latin1').startsWith('250 2.6.0'))).toBe(true);
    // What the log kept and what the store kept are the same records: nothing is held by one only.
    const logSeqs = new Set([...taps.records].filter((r) => r.bytes.length > 0).map((r) => r.seq));
    const storeSeqs = new Set(packets.filter((p) => p.recordSeq !== undefined).map((p) => p.recordSeq!));
    expect([...storeSeqs].every((s) => logSeqs.has(s))).toBe(true);
  });

  it('counts a buffer shared by two capture points once, and never drops the record just captured', () => {
    const budget = new CaptureBudget(1000);
    const taps = new TapLog(budget);
    const shared = Buffer.alloc(600, 0x63);
    const at = { conn: 'c', dir: 'c2s' as const, t: 1, labTime: 1 };
    taps.data({ ...at, point: 'inside', bytes: shared });
    taps.data({ ...at, point: 'outside', bytes: shared });
    expect(budget.used).toBe(600 + 2 * RECORD_OBJECT_BYTES);
    expect(taps.dropped).toBe(0);
    // A record bigger than the whole budget stays (the newest is always there to look at); the older go.
    taps.data({ ...at, point: 'inside', bytes: Buffer.alloc(5000, 0x64) });
    expect([...taps.records].map((r) => r.bytes.length)).toEqual([5000]);
    expect([taps.dropped, taps.droppedBytes, budget.used]).toEqual([2, 1200, 5000 + RECORD_OBJECT_BYTES]);
  });

  it('refuses a budget that is not a positive number of bytes', () => {
    expect(() => new CaptureBudget(0)).toThrow(/maxBytes must be a positive number of bytes, not 0/);
    expect(() => new CaptureBudget(Number.NaN)).toThrow(/positive number of bytes/);
  });
});

describe('capture budget in a running lab (settings.captureLimit)', () => {
  const labs: Lab[] = [];
  afterEach(async () => {
    await Promise.all(labs.splice(0).map((l) => l.stop()));
  });

  it('a 1 MiB message through a lab with a 128 KiB budget: within the budget, the drop counted, the newest kept', async () => {
    const max = 128 * KiB;
    const lab = await createLab(twoOrgs((l) => { l.settings = { captureLimit: max }; }));
    labs.push(lab);
    lab.send({ id: 'old', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Oldest', body: 'first' });
    expect(await lab.settle('old', false)).toBe('delivered');
    lab.send({ id: 'big', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Big', body: 'x'.repeat(1024 * KiB) });
    expect(await lab.settle('big', false)).toBe('delivered');
    lab.send({ id: 'new', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Newest', body: 'last' });
    expect(await lab.settle('new', false)).toBe('delivered');

    expect(lab.taps.budget).toBe(lab.capture.budget);
    const m = measured(lab.taps, lab.capture);
    expect(m.bytes).toBeLessThanOrEqual(max);
    expect(lab.taps.budget.used).toBeLessThanOrEqual(max);
    const page = lab.capture.page({ limit: 0 });
    expect(page.dropped).toBeGreaterThan(0);
    expect(page.droppedBytes).toBeGreaterThan(1024 * KiB - max);
    expect(lab.taps.droppedBytes).toBeGreaterThan(1024 * KiB - max);
    // The end of the big message's conversation is kept; its start and the oldest message are gone.
    expect(lab.capture.page({ filter: 'imf.subject contains "Oldest"' }).matched).toBe(0);
    expect(lab.capture.page({ filter: 'smtp.req.command == "EHLO"' }).matched).toBe(1);
    expect(lab.capture.page({ filter: 'imf.subject contains "Newest"' }).matched).toBe(1);
  });

  it('takes captureLimit in bytes and refuses a packet count from before (under 64 KiB)', () => {
    const base = twoOrgs();
    expect(labSchema.safeParse({ ...base, settings: { captureLimit: 64 * KiB } }).success).toBe(true);
    const old = labSchema.safeParse({ ...base, settings: { captureLimit: 50_000 } });
    expect(old.success).toBe(false);
    expect(old.error?.issues[0].message).toBe('captureLimit is in bytes (the tap log and the packet view together) and must be at least 65536 (64 KiB)');
  });
});
