/**
 * A chain of stages as one Pipeline (the contract the middlebox proxy drives, pipeline.ts).
 *
 *              c2s: stage 1 → 2 → … → n                     s2c: stage n → … → 2 → 1
 *
 *   client ──► ┌─────────┐ ──► ┌─────────┐ ──► … ──► ┌─────────┐ ──► server
 *              │ stage 1 │     │ stage 2 │           │ stage n │
 *   client ◄── └─────────┘ ◄── └─────────┘ ◄── … ◄── └─────────┘ ◄── server
 *                                   │ ▲
 *                 a reply stage 2 makes itself (454 to STARTTLS) turns round and
 *                 goes back the way it came: through stage 1 (s2c) to the client
 *
 * Marks: every stage marks what it changed, dropped or added in its own outputs. The chain carries
 * the marks of bytes that entered a stage to the next bytes that stage emits in the same direction
 * (a line-buffering stage may emit them later, in another chunk), so a chunk leaving the chain
 * carries the marks of every stage that touched its bytes, in path order. A deliver of zero bytes
 * carries marks only (swallowed bytes) and skips the remaining stages.
 *
 * Delays add up along the path: an output leaves `delayMs` after the push that caused it.
 * After any stage closes, the chain is closed: later input is ignored.
 */
import type { Direction, StageMark } from '../capture/tap.ts';
import type { Pipeline, PipelineOutput } from './pipeline.ts';
import { deliver } from './stages/stage.ts';
import type { Stage } from './stages/stage.ts';

export function createChain(stages: readonly Stage[]): Pipeline {
  const n = stages.length;
  /** Marks of bytes that went into stage k travelling in a direction and have not come out yet. */
  const carried: Record<Direction, StageMark[]>[] = stages.map(() => ({ c2s: [], s2c: [] }));
  let closed = false;
  let out: PipelineOutput[] = [];

  const after = (k: number, dir: Direction): number => (dir === 'c2s' ? k + 1 : k - 1);

  /** Bytes leaving position `from` (a stage, or -1 / n for the client / server socket) in `dir`. */
  function forward(from: number, dir: Direction, bytes: Buffer, marks: StageMark[], delayMs: number): void {
    if (closed) return;
    const k = after(from, dir);
    if (k < 0 || k >= n || bytes.length === 0) {
      if (bytes.length > 0 || marks.length > 0) out.push(deliver(dir, bytes, marks, delayMs));
      return;
    }
    carried[k][dir].push(...marks);
    run(k, stages[k].push(dir, bytes), delayMs);
  }

  /** Route what stage k produced. */
  function run(k: number, outputs: PipelineOutput[], delayMs: number): void {
    for (const o of outputs) {
      if (closed) return;
      const delay = delayMs + (o.delayMs ?? 0);
      if (o.type === 'close') {
        closed = true;
        out.push(delay > 0 ? { type: 'close', how: o.how, reason: o.reason, delayMs: delay } : { type: 'close', how: o.how, reason: o.reason });
        return;
      }
      const marks = [...carried[k][o.dir], ...(o.marks ?? [])];
      if (o.bytes.length === 0 && marks.length === 0) continue;
      carried[k][o.dir] = [];
      forward(k, o.dir, o.bytes, marks, delay);
    }
  }

  function collect(fn: () => void): PipelineOutput[] {
    out = [];
    if (!closed) fn();
    const result = out;
    out = [];
    return result;
  }

  return {
    open: () => collect(() => {
      for (let k = 0; k < n && !closed; k++) run(k, stages[k].open?.() ?? [], 0);
    }),
    push: (dir, bytes) => collect(() => forward(dir === 'c2s' ? -1 : n, dir, bytes, [], 0)),
    end: (dir) => collect(() => {
      // In path order, so what a stage flushes still passes the stages after it before they flush.
      for (let i = 0; i < n && !closed; i++) {
        const k = dir === 'c2s' ? i : n - 1 - i;
        run(k, stages[k].end?.(dir) ?? [], 0);
      }
    }),
  };
}
