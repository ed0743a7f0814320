/**
 * Line reassembly for text protocols: a line may arrive split across any number of segments
 * (the `slicer` stage sends one byte per segment), and is reported once, by the segment that
 * carries its end.
 *
 * RFC 5321 §2.3.8 ends lines with CRLF; a bare LF also ends one here, as most servers accept it,
 * and the CR stays part of the line bytes so ranges cover what crossed the wire.
 */
import type { ByteRange } from './types.ts';

export interface Line {
  /** The line including its terminator (when it has one). */
  bytes: Buffer;
  range: ByteRange;
  /** False when the line was cut at the length cap or at the end of the stream. */
  complete: boolean;
}

/** 64 KiB: far beyond RFC 5321's 1000-octet text line, small enough to bound memory. */
export const MAX_LINE = 64 * 1024;

export class LineAssembler {
  #parts: Buffer[] = [];
  #len = 0;
  #start = 0;
  readonly #cap: number;

  constructor(cap = MAX_LINE) {
    this.#cap = cap;
  }

  /** Bytes buffered towards an unfinished line. */
  get pending(): number {
    return this.#len;
  }

  /**
   * The next line from `bytes` starting at `pos` (`offset` is bytes[0]'s stream position), or
   * undefined after buffering the rest. `line.range.end - offset` is where to continue.
   */
  next(bytes: Buffer, pos: number, offset: number): Line | undefined {
    if (pos >= bytes.length) return undefined;
    const lf = bytes.indexOf(0x0a, pos);
    if (this.#len === 0) this.#start = offset + pos;
    if (lf < 0) {
      const rest = bytes.length - pos;
      if (this.#len + rest <= this.#cap) {
        this.#parts.push(bytes.subarray(pos));
        this.#len += rest;
        return undefined;
      }
      return this.#cut(bytes, pos, offset, this.#cap - this.#len);
    }
    if (this.#len + (lf + 1 - pos) > this.#cap) return this.#cut(bytes, pos, offset, this.#cap - this.#len);
    const tail = bytes.subarray(pos, lf + 1);
    const line = this.#len === 0 ? tail : Buffer.concat([...this.#parts, tail]);
    const range = { start: this.#start, end: offset + lf + 1 };
    this.#parts = [];
    this.#len = 0;
    return { bytes: line, range, complete: true };
  }

  /** Give up on the rest: whatever is buffered, as an incomplete line. */
  flush(): Line | undefined {
    if (this.#len === 0) return undefined;
    const bytes = Buffer.concat(this.#parts);
    const line = { bytes, range: { start: this.#start, end: this.#start + bytes.length }, complete: false };
    this.#parts = [];
    this.#len = 0;
    return line;
  }

  #cut(bytes: Buffer, pos: number, offset: number, take: number): Line {
    const n = Math.max(1, take);
    const bytesOut = Buffer.concat([...this.#parts, bytes.subarray(pos, pos + n)]);
    const line = { bytes: bytesOut, range: { start: this.#start, end: offset + pos + n }, complete: false };
    this.#parts = [];
    this.#len = 0;
    return line;
  }
}
