/**
 * Drives a Pipeline with a scripted session, the way the proxy would, and collects what leaves it
 * per direction. Sessions are written by hand: each step is the bytes one side sends.
 */
import type { Direction, StageMark } from '../../app/capture/tap.ts';
import type { Pipeline, PipelineOutput } from '../../app/path/pipeline.ts';

export type Step = readonly [Direction, string];

export interface Result {
  /** Every byte that left towards the server / the client, as latin1 text. */
  c2s: string;
  s2c: string;
  outputs: PipelineOutput[];
  marks: StageMark[];
  close?: Extract<PipelineOutput, { type: 'close' }>;
}

/** Whole steps (0), chunks of n bytes (1: one byte per push, like a telnet user), or sizes a function draws. */
export type Split = number | (() => number);

/**
 * Feed the steps split as `splits` says: the same for every step, one way for each direction (the
 * ASA judges each of the client's segments on its own, so its tests split the two differently),
 * or step by step (an array; steps past its end whole).
 */
export function drive(pipeline: Pipeline, steps: readonly Step[], splits: Split | Record<Direction, Split> | readonly Split[] = 0): Result {
  const outputs: PipelineOutput[] = [...pipeline.open()];
  for (const [i, [dir, text]] of steps.entries()) {
    const bytes = Buffer.from(text, 'latin1');
    const split = Array.isArray(splits) ? splits[i] ?? 0 : typeof splits === 'object' ? (splits as Record<Direction, Split>)[dir] : splits as Split;
    if (split === 0) {
      outputs.push(...pipeline.push(dir, bytes));
      continue;
    }
    for (let i = 0; i < bytes.length;) {
      const n = typeof split === 'number' ? split : Math.max(1, split());
      outputs.push(...pipeline.push(dir, bytes.subarray(i, i + n)));
      i += n;
    }
  }
  outputs.push(...pipeline.end('c2s'), ...pipeline.end('s2c'));
  const text = (dir: Direction): string =>
    Buffer.concat(outputs.flatMap((o) => (o.type === 'deliver' && o.dir === dir ? [o.bytes] : []))).toString('latin1');
  return {
    c2s: text('c2s'),
    s2c: text('s2c'),
    outputs,
    marks: outputs.flatMap((o) => (o.type === 'deliver' ? o.marks ?? [] : [])),
    close: outputs.find((o): o is Extract<PipelineOutput, { type: 'close' }> => o.type === 'close'),
  };
}

/** What one side sent in total, for comparing with what the other side received. */
export function sent(steps: readonly Step[], dir: Direction): string {
  return steps.filter(([d]) => d === dir).map(([, t]) => t).join('');
}

export type MarkRow = [Direction, string, StageMark['action'], string | undefined];

/** Every mark as [direction, stage, action, original text], in the order the chunks left. */
export function markRows(result: Result): MarkRow[] {
  return result.outputs.flatMap((o) =>
    o.type === 'deliver' ? (o.marks ?? []).map((m): MarkRow => [o.dir, m.stage, m.action, m.original?.toString('latin1')]) : []);
}
