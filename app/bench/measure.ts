/**
 * Time for the bench, and the arithmetic of its figures. The bench is the one part of Postcard Lab
 * that measures real time (docs/bench.md); it still takes its clock as a parameter, so a
 * test can run the bench with a clock of its own and nothing else reads `performance.now`.
 */
import { performance } from 'node:perf_hooks';

export interface BenchClock {
  /** Milliseconds from an arbitrary origin, monotonic. */
  now(): number;
}

export const realClock: BenchClock = { now: () => performance.now() };

/** Run `fn` and say how long it took on `clock`: exactly two readings, one before and one after. */
export async function timed<T>(clock: BenchClock, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = clock.now();
  const value = await fn();
  return { ms: clock.now() - start, value };
}

/** `count` things in `ms` milliseconds, per second; 0 when nothing was done. */
export function perSecond(count: number, ms: number): number {
  if (count <= 0) return 0;
  return round(count / (Math.max(ms, 1e-3) / 1000));
}

/** `lab / baseline`, the form every ratio of `bench --json` takes (docs/bench.md); null when either side is missing. */
export function ratio(lab: number | null, baseline: number | null): number | null {
  if (lab === null || baseline === null || baseline <= 0) return null;
  return Math.round((lab / baseline) * 1000) / 1000;
}

/** Two decimals: enough for rates and milliseconds, and a stable JSON. */
export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Run `count` jobs with at most `concurrency` in flight (a sliding window: the next starts as soon
 * as one ends). Resolves with how many jobs reported success.
 */
export async function runWindow(count: number, concurrency: number, job: (i: number) => Promise<boolean>): Promise<number> {
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if (await job(i)) ok++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return ok;
}

/**
 * Rounds in which the targets of a ratio take turns (docs/bench.md): run back to back, the second
 * target meets a different machine (a collection of the first one's garbage, a neighbour's burst);
 * in turns, such drift falls on both sides of the ratio alike.
 */
const TURNS = 4;

/** `count` split into at most `TURNS` shares, as evenly as they go; they add up to `count`. */
export function turns(count: number): number[] {
  const rounds = Math.max(1, Math.min(TURNS, count));
  return Array.from({ length: rounds }, (_, r) => Math.floor(count / rounds) + (r < count % rounds ? 1 : 0));
}

/** One target of `inTurns`: `run` sends items `from`..`from + share - 1` and says how many succeeded; `after`, untimed, lets it settle. */
export interface TurnTarget {
  run(share: number, from: number): Promise<number>;
  after?(): Promise<void>;
}

/** One target's time and successes over a run of `inTurns`, and each round's apart. */
export interface TurnTotals {
  ms: number;
  value: number;
  rounds: { ms: number; value: number }[];
}

/**
 * `count` items through every target, in turns (`turns`): each round gives each target the same
 * share, timed on `clock`. Returns each target's total time and successes, in the targets' order,
 * with each round's.
 */
export async function inTurns(count: number, clock: BenchClock, targets: readonly TurnTarget[]): Promise<TurnTotals[]> {
  const totals: TurnTotals[] = targets.map(() => ({ ms: 0, value: 0, rounds: [] }));
  let from = 0;
  for (const share of turns(count)) {
    for (const [i, target] of targets.entries()) {
      const run = await timed(clock, () => target.run(share, from));
      totals[i].ms += run.ms;
      totals[i].value += run.value;
      totals[i].rounds.push({ ms: run.ms, value: run.value });
      await target.after?.();
    }
    from += share;
  }
  return totals;
}

/**
 * The ratio of two targets' rates in each round of the same `inTurns` run (null where a side
 * measured nothing): how far the run's single ratio moved while it ran, i.e. the machine's drift
 * that the turns spread over both sides (docs/bench.md, "How to read the ratios").
 */
export function roundRatios(of: TurnTotals, against: TurnTotals): (number | null)[] {
  return of.rounds.map((r, i) => ratio(perSecond(r.value, r.ms), perSecond(against.rounds[i].value, against.rounds[i].ms)));
}
