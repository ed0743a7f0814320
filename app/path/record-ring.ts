/**
 * The relay thread's chunk records in shared memory (relay-worker.ts writes, relay-thread.ts reads;
 * docs/decisions.md, "The paths run on a thread of their own").
 *
 * A chunk's record — its connection, capture point, direction, time and bytes — is most of what the
 * thread tells the lab, one per chunk per point. As a message, each was structured-cloned into the
 * port and out again in the lab's thread, about 3 % of that thread's time under load
 * (docs/bench.md, "The paths on a thread of their own"); here the thread copies it into a ring the
 * lab reads.
 *
 * One writer (the thread) and one reader (the lab): a single-producer, single-consumer ring.
 *
 *   header  Int32Array [write offset: the thread's, read offset: the lab's]
 *   data    entries end to end, each a multiple of 8 octets; one that would not fit before the end
 *           starts again at 0 after a wrap mark. The writer never fills the ring to the brim
 *           (equal offsets mean empty).
 *   entry   u32 length of the entry | u32 sequence number | f64 t | u8 direction | u8 length of
 *           the connection id | u8 length of the point id | u8 0 | u32 length of the chunk |
 *           connection id | point id (both ASCII) | the chunk's bytes | padding
 *
 * The offsets are read and written with Atomics, so an entry's bytes are in place before the reader
 * can see its offset. Every record the thread sends, in the ring or on the records port, carries one
 * sequence number; the lab takes them in that order (relay-thread.ts `drain`). What does not fit, a
 * record with stage marks or an origin, and ids that are not short ASCII go on the port.
 */
import type { Direction } from '../capture/tap.ts';

const WRITE = 0;
const READ = 1;
const HEADER_BYTES = 8;
const ENTRY_HEAD = 24;
const WRAP = 0xffffffff;
/** Room each lab's ring has: some hundreds of chunks between two reads by the lab. */
export const RING_BYTES = 512 * 1024;

export interface RingRecord {
  seq: number;
  conn: string;
  point: string;
  dir: Direction;
  t: number;
  /** A copy in memory of its own: the capture keeps it, and the ring's space is used again. */
  bytes: Buffer;
}

const pad8 = (n: number) => (n + 7) & ~7;

/**
 * Sequence numbers are 32-bit and wrap (a lab can run for days): the next one, and which of two is
 * older, in serial number arithmetic (RFC 1982 §3) — the two compared are never far apart.
 */
export const nextSeq = (seq: number): number => (seq + 1) >>> 0;
export const olderSeq = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/** A new ring's shared memory: header and data. */
export function ringMemory(bytes = RING_BYTES): SharedArrayBuffer {
  if (bytes % 8 !== 0 || bytes < 64) throw new RangeError(`a record ring needs a multiple of 8 octets, at least 64 (got ${bytes})`);
  return new SharedArrayBuffer(HEADER_BYTES + bytes);
}

class Ring {
  protected readonly header: Int32Array;
  protected readonly view: DataView;
  protected readonly octets: Uint8Array;
  protected readonly size: number;

  constructor(memory: SharedArrayBuffer) {
    this.header = new Int32Array(memory, 0, 2);
    this.size = memory.byteLength - HEADER_BYTES;
    this.view = new DataView(memory, HEADER_BYTES, this.size);
    this.octets = new Uint8Array(memory, HEADER_BYTES, this.size);
  }
}

/** The thread's end. */
export class RingWriter extends Ring {
  /** Ids already checked and encoded (a connection's until it closes: `forget`). */
  readonly #ids = new Map<string, Uint8Array | null>();

  /** The id as ASCII octets, or null when it cannot go in the ring (longer than 255, or not ASCII). */
  #id(id: string): Uint8Array | null {
    let encoded = this.#ids.get(id);
    if (encoded === undefined) {
      encoded = id.length <= 255 && /^[\x20-\x7e]*$/.test(id) ? Buffer.from(id, 'latin1') : null;
      this.#ids.set(id, encoded);
    }
    return encoded;
  }

  /** A connection closed: its id is not written again. */
  forget(id: string): void {
    this.#ids.delete(id);
  }

  /** Write a chunk's record; false when it does not fit now or cannot go in the ring (the caller posts it). */
  write(seq: number, conn: string, point: string, dir: Direction, t: number, bytes: Uint8Array): boolean {
    const c = this.#id(conn), p = this.#id(point);
    if (!c || !p) return false;
    const length = pad8(ENTRY_HEAD + c.length + p.length + bytes.length);
    const w = Atomics.load(this.header, WRITE);
    const r = Atomics.load(this.header, READ);
    let at: number;
    if (w >= r) {
      // Free: from w to the end, and from 0 to just before r.
      if (w + length < this.size || (w + length === this.size && r > 0)) at = w;
      else if (length < r) {
        this.view.setUint32(w, WRAP);
        at = 0;
      } else return false;
    } else if (w + length < r) at = w;
    else return false;
    const v = this.view;
    v.setUint32(at, length);
    v.setUint32(at + 4, seq);
    v.setFloat64(at + 8, t);
    v.setUint8(at + 16, dir === 'c2s' ? 0 : 1);
    v.setUint8(at + 17, c.length);
    v.setUint8(at + 18, p.length);
    v.setUint32(at + 20, bytes.length);
    let o = at + ENTRY_HEAD;
    this.octets.set(c, o);
    o += c.length;
    this.octets.set(p, o);
    o += p.length;
    this.octets.set(bytes, o);
    // Published last: the reader sees the whole entry or none of it.
    Atomics.store(this.header, WRITE, (at + length) % this.size);
    return true;
  }
}

/** The lab's end. */
export class RingReader extends Ring {
  readonly #text: Buffer;
  readonly #slabs = new Slabs();

  constructor(memory: SharedArrayBuffer) {
    super(memory);
    this.#text = Buffer.from(memory, HEADER_BYTES, this.size);
  }

  /** The oldest record not yet taken, or undefined when the ring is empty. */
  take(): RingRecord | undefined {
    let r = Atomics.load(this.header, READ);
    const w = Atomics.load(this.header, WRITE);
    if (r === w) return undefined;
    if (this.view.getUint32(r) === WRAP) {
      r = 0;
      if (r === w) {
        Atomics.store(this.header, READ, 0);
        return undefined;
      }
    }
    const v = this.view;
    const length = v.getUint32(r);
    const cl = v.getUint8(r + 17), pl = v.getUint8(r + 18);
    const start = r + ENTRY_HEAD;
    const bytesAt = start + cl + pl;
    const record: RingRecord = {
      seq: v.getUint32(r + 4),
      conn: this.#text.toString('latin1', start, start + cl),
      point: this.#text.toString('latin1', start + cl, bytesAt),
      dir: v.getUint8(r + 16) === 0 ? 'c2s' : 's2c',
      t: v.getFloat64(r + 8),
      bytes: this.#slabs.copy(this.octets, bytesAt, bytesAt + v.getUint32(r + 20)),
    };
    Atomics.store(this.header, READ, (r + length) % this.size);
    return record;
  }
}

/**
 * Where the lab's copies of chunk records go: slabs of their own, filled in order. The capture lets
 * records go oldest first, so a slab is freed once its last record is gone, and the capture holds at
 * most a slab at each end beyond the bytes its budget counts. (Not Node's shared pool: that mixes in
 * buffers of any lifetime. Not an ArrayBuffer per chunk: allocating one cost more than the copy.)
 */
export const SLAB_BYTES = 64 * 1024;

class Slabs {
  #slab = new ArrayBuffer(0);
  #used = 0;

  copy(octets: Uint8Array, from: number, to: number): Buffer {
    const n = to - from;
    if (n > SLAB_BYTES / 4) return Buffer.from(octets.slice(from, to).buffer);
    if (this.#used + n > this.#slab.byteLength) {
      this.#slab = new ArrayBuffer(SLAB_BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    new Uint8Array(this.#slab, at, n).set(octets.subarray(from, to));
    this.#used += n;
    return Buffer.from(this.#slab, at, n);
  }
}
