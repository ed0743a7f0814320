/**
 * The relay thread's chunk records in shared memory (app/path/record-ring.ts). The writer and the
 * reader run in one thread here: the order of operations is the thread's and the lab's, without the
 * timing, so every case is exact.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { takeInOrder } from '../../app/path/relay-thread.ts';
import type { Posted } from '../../app/path/relay-wire.ts';
import { RingReader, RingWriter, SLAB_BYTES, nextSeq, olderSeq, ringMemory, type RingRecord } from '../../app/path/record-ring.ts';

const chunk = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('the record ring', () => {
  it('gives back every record in order, with its own copy of the bytes, however often it wraps', () => {
    const memory = ringMemory(256);
    const writer = new RingWriter(memory), reader = new RingReader(memory);
    const taken: RingRecord[] = [];
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      // 1 to 90 octets: entries of 48 to 136 octets in a 256-octet ring, so it wraps every few.
      const n = 1 + ((i * 37) % 90);
      const write = () => writer.write(i + 1, `c${i}`, 'intellinet-ntsol', i % 2 ? 's2c' : 'c2s', i * 0.5, chunk(n, i & 0xff));
      if (!write()) {
        // Full until the lab reads, as the thread finds it under load (it posts the record instead).
        refused++;
        for (let r = reader.take(); r; r = reader.take()) taken.push(r);
        expect(write()).toBe(true);
      }
    }
    expect(refused).toBeGreaterThan(100);
    for (let r = reader.take(); r; r = reader.take()) taken.push(r);
    expect(taken.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    taken.forEach((r, i) => {
      expect({ conn: r.conn, point: r.point, dir: r.dir, t: r.t }).toEqual({ conn: `c${i}`, point: 'intellinet-ntsol', dir: i % 2 ? 's2c' : 'c2s', t: i * 0.5 });
      expect(Buffer.compare(r.bytes, Buffer.from(chunk(1 + ((i * 37) % 90), i & 0xff)))).toBe(0);
      // The ring's memory is used again: a record's bytes must not be a view of it.
      expect(r.bytes.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    });
  });

  it('says no when a record does not fit until the lab has read, and never overwrites an unread one', () => {
    const memory = ringMemory(128);
    const writer = new RingWriter(memory), reader = new RingReader(memory);
    expect(writer.write(1, 'c1', 'p', 'c2s', 0, chunk(60, 1))).toBe(true); // 88 octets
    expect(writer.write(2, 'c1', 'p', 'c2s', 0, chunk(60, 2))).toBe(false); // would reach the unread one
    expect(writer.write(2, 'c1', 'p', 'c2s', 0, chunk(8, 2))).toBe(false); // 40: exactly the rest, which would read as empty
    expect(writer.write(2, 'c1', 'p', 'c2s', 0, chunk(1, 2))).toBe(true); // 32
    expect(reader.take()?.bytes[0]).toBe(1);
    // Now the first 88 are free again, less the gap that tells full from empty: 80 go there, after a wrap mark.
    expect(writer.write(3, 'c1', 'p', 'c2s', 0, chunk(60, 3))).toBe(false);
    expect(writer.write(3, 'c1', 'p', 'c2s', 0, chunk(50, 3))).toBe(true);
    expect([reader.take(), reader.take(), reader.take()].map((r) => r && [r.seq, r.bytes[0]])).toEqual([[2, 2], [3, 3], undefined]);
  });

  it('leaves to the port what it cannot carry: ids that are not short ASCII', () => {
    const writer = new RingWriter(ringMemory(1024));
    expect(writer.write(1, 'c1', 'x'.repeat(256), 'c2s', 0, chunk(1, 0))).toBe(false);
    expect(writer.write(1, 'c1', 'pointé', 'c2s', 0, chunk(1, 0))).toBe(false);
    expect(writer.write(1, 'c1', 'p', 'c2s', 0, chunk(1, 0))).toBe(true);
  });

  it('orders sequence numbers across their 32-bit wrap (a lab may run for days)', () => {
    expect(nextSeq(0xffffffff)).toBe(0);
    expect(olderSeq(0xffffffff, 0)).toBe(true);
    expect(olderSeq(0, 0xffffffff)).toBe(false);
    expect(olderSeq(5, 6)).toBe(true);
  });

  it('keeps the lab\'s copies in slabs filled in order: many small records cost a few slabs, not a buffer each', () => {
    const memory = ringMemory(4096);
    const writer = new RingWriter(memory), reader = new RingReader(memory);
    const kept: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      writer.write(i + 1, 'c1', 'p', 'c2s', 0, chunk(40, i & 0xff));
      kept.push(reader.take()!.bytes);
    }
    const buffers = new Set(kept.map((b) => b.buffer));
    const counted = kept.reduce((n, b) => n + b.length, 0);
    const held = [...buffers].reduce((n, b) => n + b.byteLength, 0);
    expect(held).toBeLessThanOrEqual(counted + SLAB_BYTES);
    expect(buffers.size).toBeLessThan(10);
  });
});

describe('the lab takes the thread\'s records in order, from the ring and the port together', () => {
  it('hands them on by sequence number, whichever way each came', () => {
    const memory = ringMemory(1024);
    const writer = new RingWriter(memory), reader = new RingReader(memory);
    const { port1, port2 } = new MessageChannel();
    const post = (seq: number, conn: string) => port2.postMessage([seq, ['upstream', conn, 1, 2, 0]] satisfies Posted);
    writer.write(1, 'c1', 'p', 'c2s', 0, chunk(1, 1));
    post(2, 'c2');
    post(3, 'c3');
    writer.write(4, 'c4', 'p', 'c2s', 0, chunk(1, 4));
    writer.write(5, 'c5', 'p', 'c2s', 0, chunk(1, 5));
    post(6, 'c6');
    const order: string[] = [];
    takeInOrder(port1, reader, (r) => order.push(`port ${r[1]}`), (c) => order.push(`ring ${c.conn}`));
    expect(order).toEqual(['ring c1', 'port c2', 'port c3', 'ring c4', 'ring c5', 'port c6']);
    // Across the 32-bit wrap of the numbers too.
    writer.write(0xffffffff, 'c7', 'p', 'c2s', 0, chunk(1, 7));
    post(0, 'c8');
    writer.write(1, 'c9', 'p', 'c2s', 0, chunk(1, 9));
    order.length = 0;
    takeInOrder(port1, reader, (r) => order.push(`port ${r[1]}`), (c) => order.push(`ring ${c.conn}`));
    expect(order).toEqual(['ring c7', 'port c8', 'ring c9']);
    port1.close();
  });
});
