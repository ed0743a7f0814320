/**
 * Length-prefixed record reassembly for one direction of a stream, sans-IO: bytes in (with their
 * offset in the stream), complete frames out with their byte ranges. The TLS record layer
 * (RFC 8446 §5.1: type, version, length) and the NTLM-sealed SASL security layer (a 4-byte
 * big-endian length, RFC 4422 §3.7) both cut their stream this way; each dissector keeps its own
 * PDUs and wording, and says only how long its header is and what a header means.
 *
 *   push(bytes) ──► buffered ──header ok, frame complete──► frame { bytes, range }
 *                      │
 *                      └──bad header──► failure (once), then every later push is ignored
 *   end() ──► the incomplete remainder, if any
 *
 * A frame split across pushes belongs to the push that completes it; ranges assume the pushes
 * of a direction are contiguous, as the stream reassembly delivers them.
 */
import type { ByteRange } from './types.ts';

/** What a header says: the whole frame's size (header included), or why it is not a header. */
export type HeaderCheck = { ok: true; total: number } | { ok: false; why: string };

export interface Frame {
  /** The whole frame, header included. */
  bytes: Buffer;
  range: ByteRange;
}

export interface PushResult {
  frames: Frame[];
  /** A bad header: reported once, covering everything from the frame's start to this push's end. */
  failure?: { why: string; range: ByteRange };
}

export class RecordFramer {
  readonly #headerLength: number;
  readonly #check: (header: Buffer) => HeaderCheck;
  #parts: Buffer[] = [];
  #len = 0;
  #start = 0;
  #failed = false;

  /** `check` sees exactly `headerLength` bytes and never needs to bounds-check them. */
  constructor(headerLength: number, check: (header: Buffer) => HeaderCheck) {
    this.#headerLength = headerLength;
    this.#check = check;
  }

  /** True once a bad header has been seen: the rest of the direction is not framed. */
  get failed(): boolean {
    return this.#failed;
  }

  push(bytes: Buffer, offset: number): PushResult {
    const frames: Frame[] = [];
    if (this.#failed || bytes.length === 0) return { frames };
    if (this.#len === 0) this.#start = offset;
    this.#parts.push(bytes);
    this.#len += bytes.length;
    while (this.#len >= this.#headerLength) {
      const head = this.#parts[0].length >= this.#headerLength ? this.#parts[0] : this.#collapse();
      const checked = this.#check(head.subarray(0, this.#headerLength));
      // A frame shorter than its own header would never advance: that is a bad header too.
      if (!checked.ok || checked.total < this.#headerLength) {
        const why = checked.ok ? `frame length ${checked.total} shorter than its ${this.#headerLength}-byte header` : checked.why;
        this.#failed = true;
        this.#parts = [];
        this.#len = 0;
        return { frames, failure: { why, range: { start: this.#start, end: offset + bytes.length } } };
      }
      if (this.#len < checked.total) break;
      const all = this.#collapse();
      const rest = all.subarray(checked.total);
      this.#parts = rest.length > 0 ? [rest] : [];
      this.#len = rest.length;
      const range = { start: this.#start, end: this.#start + checked.total };
      this.#start = range.end;
      frames.push({ bytes: all.subarray(0, checked.total), range });
    }
    return { frames };
  }

  /** The stream ended: what is left is an incomplete frame (nothing after a failure). */
  end(): { range: ByteRange; size: number } | undefined {
    if (this.#len === 0 || this.#failed) return undefined;
    const size = this.#len;
    this.#parts = [];
    this.#len = 0;
    return { range: { start: this.#start, end: this.#start + size }, size };
  }

  #collapse(): Buffer {
    const all = this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts);
    this.#parts = [all];
    return all;
  }
}
