import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../app/capture/store.ts';
import { frameBytes } from '../../app/capture/frame.ts';
import { plainSession, tapScript } from './tap-script.ts';
import type { Chunk } from './tap-script.ts';

const hexOf = (rows: { hex: string }[]) => Buffer.from(rows.map((r) => r.hex.replace(/\s+/g, '')).join(''), 'hex');

function storeWith(chunks: Chunk[] = plainSession(), opts: ConstructorParameters<typeof CaptureStore>[0] = {}): CaptureStore {
  const store = new CaptureStore(opts);
  store.ingestAll(tapScript(chunks));
  return store;
}

describe('capture store: the packet list', () => {
  it('pages the list with columns, counts and no more rows than asked for', () => {
    const store = storeWith();
    const all = store.page({ limit: 5 });
    expect(all.total).toBe(19);
    expect(all.matched).toBe(19);
    expect(all.rows.map((r) => r.no)).toEqual([1, 2, 3, 4, 5]);
    expect(all.rows[3]).toMatchObject({
      source: '198.51.100.25', destination: '192.0.2.10', protocol: 'SMTP', length: 135, leak: false, conn: 'c1',
      info: 'S: 220 mail.ntsol.example Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready', time: 0.001, recordSeq: 0,
    });
    expect(all.rows[0].info).toBe('49152 → 25 [SYN] Seq=0 Win=64240 Len=0 MSS=1460');
    expect(store.page({ from: 17, limit: 5 }).rows.map((r) => r.no)).toEqual([18, 19]);
  });

  it('filters, and pages within the matches', () => {
    const store = storeWith();
    const replies = store.page({ filter: 'smtp.response.code', from: 1, limit: 2 });
    expect(replies.matched).toBe(7);
    expect(replies.rows.map((r) => r.info.slice(0, 6))).toEqual(['S: 250', 'S: 250']);
    expect(store.page({ filter: 'smtp.req.command == "MAIL"' }).rows.map((r) => r.info)).toEqual(['C: MAIL FROM:<alice@intellinet.example>']);
    expect(store.page({ filter: 'imf.subject == "Trial results"' }).rows[0].protocol).toBe('SMTP/IMF');
    expect(store.page({ filter: 'tcp.flags.syn == 1' }).matched).toBe(2);
  });

  it('answers a bad filter with its message and position, not an exception', () => {
    const r = storeWith().page({ filter: 'smtp.req.command ==' });
    expect(r.rows).toEqual([]);
    expect(r.error).toEqual({ message: 'A value was expected after the operator, but the filter ends here.', position: 19 });
  });

  it('extends a cached filter as packets arrive', () => {
    const store = new CaptureStore();
    const events = tapScript(plainSession());
    store.ingestAll(events.slice(0, 3));
    expect(store.page({ filter: 'smtp.req.command' }).matched).toBe(1);
    store.ingestAll(events.slice(3));
    expect(store.page({ filter: 'smtp.req.command' }).matched).toBe(5);
  });

  it('keeps at most maxPackets, dropping the oldest and counting them', () => {
    const store = storeWith(plainSession(), { maxPackets: 10 });
    const page = store.page({});
    expect([page.total, page.dropped]).toEqual([10, 9]);
    expect(page.rows[0].no).toBe(10);
    expect(store.detail('p1', 3)).toBeUndefined();
    expect(store.detail('p1', 10)?.no).toBe(10);
    expect(store.follow('c1')?.truncated).toBe(true);
    expect(store.page({ filter: 'smtp.req.command' }).rows.map((r) => r.info)).toEqual(['C: DATA', 'C: QUIT']);
  });

  it('names the packets still held that carry each record, as the list shows them, while the oldest go', () => {
    // A 4,000-byte DATA chunk crosses in three segments (MSS 1460).
    const chunks: Chunk[] = [...plainSession().slice(0, 8), ['c2s', `${'x'.repeat(3998)}\r\n`], ...plainSession().slice(8)];
    const events = tapScript(chunks);
    const full = new CaptureStore();
    full.ingestAll(events);
    const carried = (store: CaptureStore, seq: number) => store.page({ limit: 1000 }).rows.filter((r) => r.recordSeq === seq).map((r) => ({ point: r.point, no: r.no }));
    const big = full.page({ limit: 1000 }).rows.find((r) => r.length > 1400)!.recordSeq!;
    expect(full.packetsOfRecord(big)).toHaveLength(3);
    // Keep only the packets from the big record's second segment on (the server's ACKs lie between).
    const second = full.packetsOfRecord(big)[1].no;
    const kept = full.page({}).total - second + 1;
    const store = storeWith(chunks, { maxPackets: kept });
    expect(store.packetsOfRecord(big)).toEqual(full.packetsOfRecord(big).slice(1));
    for (let seq = 0; seq < events.length; seq++) expect(store.packetsOfRecord(seq), `record ${seq}`).toEqual(carried(store, seq));
    expect(store.packetsOfRecord(0)).toEqual([]);
  });

  it('keeps connections, points and streams apart', () => {
    const store = new CaptureStore();
    store.ingestAll(tapScript(plainSession(), { conn: 'a', point: 'inside' }));
    store.ingestAll(tapScript([['s2c', '220 outside\r\n', [{ stage: 'pix-5.1', action: 'changed', original: Buffer.from('220 outside\r\n') }]]], { conn: 'a', point: 'outside', seq: 100 }));
    expect(store.page({ point: 'outside' }).total).toBe(7);
    expect(store.page({ point: 'inside' }).total).toBe(19);
    expect(store.page({ filter: 'lab.stage == "pix-5.1"' }).rows.map((r) => [r.point, r.rewritten])).toEqual([['outside', true]]);
    expect(store.page({ filter: 'tcp.stream == 1' }).total).toBe(26);
    expect(store.page({ filter: 'tcp.stream == 1' }).matched).toBe(7);
    expect(store.points().map((p) => [p.id, p.packets])).toEqual([['inside', 19], ['outside', 7]]);
  });

  it('numbers frames per capture point: 1..n in each list, whatever the other points hold', () => {
    const store = new CaptureStore();
    // Interleaved: the outside point's packets arrive between the inside point's.
    const inside = tapScript(plainSession(), { conn: 'a', point: 'inside' });
    const outside = tapScript(plainSession(), { conn: 'a', point: 'outside', seq: 100 });
    for (let i = 0; i < Math.max(inside.length, outside.length); i++) store.ingestAll([inside[i], outside[i]].filter((e) => e !== undefined));
    for (const point of ['inside', 'outside']) {
      const rows = store.page({ point }).rows;
      expect(rows.map((r) => r.no)).toEqual(rows.map((_r, i) => i + 1));
      // A filter shows the point's own numbers (frame.number reads them too).
      const mail = store.page({ point, filter: 'smtp.req.command == "MAIL"' }).rows[0];
      expect(store.page({ point, filter: `frame.number == ${mail.no}` }).rows.map((r) => r.info)).toEqual([mail.info]);
      const d = store.detail(point, mail.no)!;
      expect([d.point, d.no, d.info]).toEqual([point, mail.no, mail.info]);
      expect(d.tree[0].label).toMatch(new RegExp(`^Frame ${mail.no}:`));
      // Follow stream and record links name the same per-point numbers.
      const f = store.follow('a', { point })!;
      expect(f.parts.every((part) => rows.some((r) => r.no === part.no))).toBe(true);
      expect(store.packetsOfRecord(d.link.recordSeq!)).toEqual([{ point, no: mail.no }]);
    }
    expect(store.detail('inside', 999)).toBeUndefined();
    expect(store.detail('nowhere', 1)).toBeUndefined();
  });
});

describe('capture store: detail, bytes, follow, links', () => {
  it('gives the detail tree with byte ranges that select the command in the frame', () => {
    const store = storeWith();
    const d = store.detail('p1', 7)!;
    expect(d.tree.map((n) => n.label.split(',')[0])).toEqual(['Frame 7: 92 bytes on wire (736 bits)', 'Ethernet II', 'Internet Protocol Version 4', 'Transmission Control Protocol', 'Simple Mail Transfer Protocol']);
    const line = d.tree[4].children[0];
    const frame = hexOf(d.bytes);
    expect(frame.subarray(line.byteRange!.start, line.byteRange!.end).toString()).toBe('MAIL FROM:<alice@intellinet.example>\r\n');
    expect(d.bytes[0].hex.split(/\s+/).length).toBe(16);
    expect(d.bytes[0].offset).toBe(0);
    expect(d.bytes[1].offset).toBe(16);
    expect(frame.equals(frameBytes([...store.packets()][6]))).toBe(true);
    expect(d.link).toEqual({ conn: 'c1', recordSeq: 3 });
    expect(store.packetsOfRecord(3)).toEqual([{ point: 'p1', no: 7 }]);
  });

  it('follows a stream as alternating client and server parts', () => {
    const f = storeWith().follow('c1')!;
    expect(f.parts.slice(0, 3).map((p) => [p.from, p.text])).toEqual([
      ['server', '220 mail.ntsol.example Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready\r\n'],
      ['client', 'EHLO mail.intellinet.example\r\n'],
      ['server', '250-mail.ntsol.example Hello [192.0.2.10]\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n'],
    ]);
    expect(f.parts.length).toBe(13);
    expect([f.client.ip, f.server.ip, f.truncated]).toEqual(['192.0.2.10', '198.51.100.25', false]);
  });
});

describe('capture store: leak marking', () => {
  it('flags every packet that holds bytes of a canary, also one split across segments', () => {
    // A canary of 10 bytes crossing the boundary between two 16-byte segments.
    const body = 'Subject: PCL-S-abcd\r\n\r\nx\r\n.\r\n';
    const store = storeWith([['c2s', 'DATA\r\n'], ['s2c', '354 go\r\n'], ['c2s', body]], { mss: 16 });
    const stream = 'DATA\r\n' + body;
    store.markLeaks([{ point: 'p1', conn: 'c1', dir: 'c2s', offset: stream.indexOf('PCL-S-abcd'), length: 10 }]);
    const leaking = store.page({ leaksOnly: true }).rows;
    // SYN, SYN/ACK, ACK, DATA, 354, then the content in segments of 16 and 13 bytes.
    expect(leaking.map((r) => [r.no, r.length - 54])).toEqual([[6, 16], [7, 13]]);
    expect(store.page({ filter: 'lab.leak == 1' }).matched).toBe(2);
    expect(store.detail('p1', 6)?.leak).toBe(true);
    expect(store.detail('p1', 6)?.tree[0].label).toMatch(/canary/);
    expect(store.detail('p1', 5)?.leak).toBe(false);
  });

  it('flags packets that arrive after the hit was reported', () => {
    const store = new CaptureStore();
    store.markLeaks([{ point: 'p1', conn: 'c1', dir: 's2c', offset: 4, length: 3 }]);
    store.ingestAll(tapScript([['s2c', '220 secret\r\n']]));
    expect(store.page({ leaksOnly: true }).rows.map((r) => r.info)).toEqual(['S: 220 secret']);
  });
});
