/**
 * One byte budget for everything a lab keeps of its capture: the tap log's records (tap.ts) and the
 * packet store built from them (store.ts). docs/packet-view.md "Capture budget".
 *
 *   tap record ──bytes──► TapLog.records ─────────┐
 *        │                                        ├── both hold the same Buffer: counted once
 *        └──► packets (payload = subarray) ──► CaptureStore
 *
 * Holders report the buffers they keep (`hold` / `release`, counted once per Buffer however many
 * holders share it) and their other bytes (`add`: synthesized frame headers). When the total passes
 * `maxBytes`, `enforce` drops the oldest first: among the holders it asks the one whose oldest record
 * is oldest to drop that record, until the total fits. The record just captured is never dropped,
 * so the newest bytes are always there to look at.
 */

/**
 * What a kept packet or tap record costs beyond its bytes: the JavaScript objects around them (the
 * packet with its dissected summary and the views on it; the record with its Buffer view). Counted
 * so that the budget bounds the memory the capture really takes, not only its payload: before
 * this, 10,000 messages through a firewall path (60 packets and 40 records each) held about
 * 75 KB of heap per message against 8 KB counted (docs/bench.md, `load`). Estimates measured on
 * this store under Node 20 (heap per packet less its payload and headers, `load` at 2,000 messages).
 */
export const PACKET_OBJECT_BYTES = 640;
export const RECORD_OBJECT_BYTES = 160;

/** What a lab keeps when its scenario does not say (settings.captureLimit, docs/scenario-format.md). */
export const DEFAULT_CAPTURE_BYTES = 128 * 1024 * 1024;

/** Something that keeps part of the capture, oldest first by tap record number. */
export interface BudgetHolder {
  /** Sequence number of the oldest tap record it holds bytes of, or undefined when it holds none. */
  oldestSeq(): number | undefined;
  /** Drop everything it holds of that oldest record, releasing its buffers. */
  dropOldest(): void;
}

export class CaptureBudget {
  readonly maxBytes: number;
  #used = 0;
  #newest = -1;
  #refs = new Map<Buffer, number>();
  #holders: BudgetHolder[] = [];
  #enforcing = false;

  constructor(maxBytes: number = DEFAULT_CAPTURE_BYTES) {
    if (!Number.isFinite(maxBytes) || maxBytes <= 0) throw new RangeError(`capture budget: maxBytes must be a positive number of bytes, not ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Bytes kept right now: each held buffer once, plus what holders added. */
  get used(): number {
    return this.#used;
  }

  /** Buffers held right now (each counted once, however many holders share it). */
  get buffers(): number {
    return this.#refs.size;
  }

  register(holder: BudgetHolder): void {
    this.#holders.push(holder);
  }

  /** A holder keeps `bytes` of tap record `seq`. */
  hold(seq: number, bytes: Buffer): void {
    if (seq > this.#newest) this.#newest = seq;
    const n = this.#refs.get(bytes) ?? 0;
    this.#refs.set(bytes, n + 1);
    if (n === 0) this.#used += bytes.length;
  }

  release(bytes: Buffer): void {
    const n = this.#refs.get(bytes);
    if (n === undefined) return;
    if (n > 1) {
      this.#refs.set(bytes, n - 1);
      return;
    }
    this.#refs.delete(bytes);
    this.#used -= bytes.length;
  }

  /** Bytes a holder keeps beside shared buffers (negative when it lets them go). */
  add(bytes: number): void {
    this.#used += bytes;
  }

  /** Drop the oldest records until the total fits; never the newest record. */
  enforce(): void {
    if (this.#enforcing) return;
    this.#enforcing = true;
    try {
      while (this.#used > this.maxBytes) {
        let pick: BudgetHolder | undefined;
        let oldest = this.#newest;
        for (const h of this.#holders) {
          const seq = h.oldestSeq();
          if (seq !== undefined && seq < oldest) {
            oldest = seq;
            pick = h;
          }
        }
        if (!pick) break;
        pick.dropOldest();
      }
    } finally {
      this.#enforcing = false;
    }
  }
}
