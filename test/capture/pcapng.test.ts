import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { TLS_KEY_LOG, exportKeyLog, pcapngBuffer, writePcapng } from '../../app/capture/pcapng.ts';
import { CaptureStore } from '../../app/capture/store.ts';
import { frameBytes } from '../../app/capture/frame.ts';
import { plainSession, POINT, tapScript } from './tap-script.ts';

interface Block {
  type: number;
  body: Buffer;
}

/** An independent reader of little-endian pcapng blocks: type, total length, body, length again. */
function blocks(file: Buffer): Block[] {
  const out: Block[] = [];
  for (let at = 0; at < file.length; ) {
    const type = file.readUInt32LE(at);
    const len = file.readUInt32LE(at + 4);
    expect(len % 4).toBe(0);
    expect(file.readUInt32LE(at + len - 4)).toBe(len);
    out.push({ type, body: file.subarray(at + 8, at + len - 4) });
    at += len;
  }
  return out;
}

function optionsOf(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let at = 0; at + 4 <= buf.length; ) {
    const code = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (code === 0) break;
    out.set(code, buf.subarray(at + 4, at + 4 + len));
    at += 4 + ((len + 3) & ~3);
  }
  return out;
}

const keyLine = `CLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}`;

function twoPointStore(): CaptureStore {
  const store = new CaptureStore();
  store.addPoint(POINT);
  store.addPoint({ id: 'outside', label: 'outside the firewall', path: 'fw', roles: ['wire'] });
  store.ingestAll(tapScript(plainSession(), { t: 1000 }));
  store.ingestAll(tapScript([['s2c', '220 **** ready\r\n', [{ stage: 'pix-5.1', action: 'changed' }]]], { point: 'outside', conn: 'c1', t: 1000 }));
  store.setKeys('c1', { tlsKeyLog: [keyLine, keyLine] });
  return store;
}

describe('pcapng writer', () => {
  it('writes SHB, a DSB with the key log, one IDB per point and an EPB per packet', () => {
    const store = twoPointStore();
    const file = pcapngBuffer(store);
    const bs = blocks(file);
    expect(bs[0].type).toBe(0x0a0d0d0a);
    expect(bs[0].body.readUInt32LE(0)).toBe(0x1a2b3c4d);
    expect(bs[1].type).toBe(0x0a);
    expect(bs[1].body.readUInt32LE(0)).toBe(TLS_KEY_LOG);
    const secretLen = bs[1].body.readUInt32LE(4);
    expect(bs[1].body.subarray(8, 8 + secretLen).toString()).toBe(`${keyLine}\n`);
    const idbs = bs.filter((b) => b.type === 1);
    expect(idbs.map((b) => b.body.readUInt16LE(0))).toEqual([1, 1]);
    expect(idbs.map((b) => optionsOf(b.body.subarray(8)).get(2)?.toString())).toEqual(['p1', 'outside']);
    expect(idbs.map((b) => optionsOf(b.body.subarray(8)).get(3)?.toString())).toEqual([POINT.label, 'outside the firewall']);
    const epbs = bs.filter((b) => b.type === 6);
    const packets = [...store.packets()];
    expect(epbs.length).toBe(packets.length);
    epbs.forEach((b, i) => {
      const caplen = b.body.readUInt32LE(16);
      expect(b.body.subarray(20, 20 + caplen)).toEqual(frameBytes(packets[i]));
      expect(b.body.readUInt32LE(0)).toBe(packets[i].point === 'p1' ? 0 : 1);
    });
    // Microsecond timestamps: the lab time of the first packet, then real time on from there.
    const micros = (b: Block) => (BigInt(b.body.readUInt32LE(4)) << 32n) | BigInt(b.body.readUInt32LE(8));
    expect(micros(epbs[3]) - micros(epbs[0])).toBe(1000n);
    expect(micros(epbs[0])).toBe(BigInt(packets[0].labTime) * 1000n);
    const rewritten = epbs.find((b) => b.body.readUInt32LE(0) === 1 && b.body.readUInt32LE(16) > 60)!;
    expect(optionsOf(rewritten.body.subarray(20 + ((rewritten.body.readUInt32LE(16) + 3) & ~3))).get(1)?.toString()).toBe('pix-5.1: changed');
  });

  it('streams to a writable with back-pressure and reports what it wrote', async () => {
    const chunks: Buffer[] = [];
    let waiting = 0;
    const sink = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        setImmediate(done);
      },
    });
    sink.on('drain', () => waiting++);
    // About 3 MB of message: several 1 MiB batches, each one waiting for the sink to drain.
    const store = new CaptureStore();
    store.ingestAll(tapScript(plainSession('Big', `${'y'.repeat(998)}\r\n`.repeat(3000))));
    const result = await writePcapng(store, undefined, sink);
    expect(result.packets).toBe([...store.packets()].length);
    expect(Buffer.concat(chunks).equals(pcapngBuffer(store))).toBe(true);
    expect(result.bytes).toBe(Buffer.concat(chunks).length);
    expect(chunks.length).toBeGreaterThan(2);
    expect(waiting).toBe(chunks.length);
    const list: Buffer[] = [];
    await writePcapng(twoPointStore().packets('outside'), [], list);
    expect(blocks(Buffer.concat(list)).map((b) => b.type)).toEqual([0x0a0d0d0a, 1, 6, 6, 6, 6, 6, 6, 6]);
  });

  it('exports the NSS key log once per line, skipping what is not a key log line', () => {
    expect(exportKeyLog([{ tlsKeyLog: [keyLine, '# comment', ''] }, { tlsKeyLog: [keyLine, `SERVER_TRAFFIC_SECRET_0 ${'01'.repeat(32)} ${'02'.repeat(48)}`] }]))
      .toBe(`${keyLine}\nSERVER_TRAFFIC_SECRET_0 ${'01'.repeat(32)} ${'02'.repeat(48)}\n`);
    expect(exportKeyLog([])).toBe('');
  });
});
