/**
 * `runBench`: every figure of docs/bench.md in one run, shaped as `bench --json` (fields are only
 * ever added to that shape, never renamed). Order: start-up first (a fresh process is as cold as it
 * gets), then throughput per method, sessions, and the capture store last (its 1M-packet round is
 * the one that fills the heap).
 */
import os from 'node:os';
import { benchCapture, type CaptureBench } from '../capture/bench.ts';
import { methods, type Method } from './labs.ts';
import { benchLoadApart, type LoadFigure } from './load.ts';
import { benchThroughput, type ThroughputFigure } from './throughput.ts';
import { benchSessions, type SessionsFigure } from './sessions.ts';
import { benchStart, type StartFigure } from './start.ts';
import { realClock, type BenchClock } from './measure.ts';
import type { PostfixTools } from './postfix.ts';
import { benchGrid, type GridBench } from './grid.ts';
import { benchClassroom, type ClassroomFigure } from './classroom.ts';
import { checkTargets, type TargetCheck } from './targets.ts';

export interface BenchSizes {
  /** Messages per throughput run, each `size` octets, `concurrency` in flight. */
  messages: number;
  size: number;
  concurrency: number;
  /** Untimed messages (and sessions) before each timed run. */
  warmup: number;
  sessions: number;
  startRuns: number;
  /** The `load` run (through asa, capture on) and the `up` run: messages and sessions. */
  load: { messages: number; sessions: number };
  up: { messages: number; sessions: number };
  /** Packet counts of the capture rounds; a count left out is reported as null. */
  capture: { '100k': boolean; '1M': boolean };
  /** The compatibility grid round (docs/grid.md): the default 768 cells, a 48-cell slice, or none (null). */
  grid: 'default' | 'slice' | null;
  /** Seats of the classroom figure, and the wrong checks each learner sends for the board's rate. */
  classroomSeats: number;
  classroomChecks: number;
}

/** The defaults: 2000 messages of 2048 octets; concurrency too: see docs/bench.md. */
export const fullSizes: BenchSizes = {
  messages: 2000, size: 2048, concurrency: 20, warmup: 100, sessions: 2000, startRuns: 3, capture: { '100k': true, '1M': true }, grid: 'default',
  load: { messages: 10_000, sessions: 50 }, up: { messages: 2000, sessions: 20 },
  classroomSeats: 20, classroomChecks: 50,
};

/** `--quick`: the same figures from far fewer messages and sessions, without the 1M capture round. */
export const quickSizes: BenchSizes = {
  messages: 50, size: 2048, concurrency: 20, warmup: 10, sessions: 200, startRuns: 1, capture: { '100k': true, '1M': false }, grid: 'slice',
  load: { messages: 200, sessions: 50 }, up: { messages: 100, sessions: 20 },
  classroomSeats: 20, classroomChecks: 10,
};

export interface BenchOptions {
  quick: boolean;
  clock?: BenchClock;
  /** Overrides of the sizes the mode picks. */
  sizes?: Partial<BenchSizes>;
  /** smtp-sink / smtp-source; default: looked up in /usr/sbin; null: leave Postfix out. */
  postfix?: PostfixTools | null;
  /** One line per stage, for a human watching a long run. */
  progress?(line: string): void;
}

export interface BenchReport {
  version: 1;
  node: string;
  cpus: number;
  quick: boolean;
  /** Where the labs' workspaces were (os.tmpdir(), TMPDIR): the lab fsyncs every message there several times. */
  tmpdir: string;
  throughput: Record<Method, ThroughputFigure>;
  sessions: SessionsFigure;
  /** Issue 11's load figure and issue 18's `up` figure (app/bench/load.ts). */
  load: LoadFigure;
  up: LoadFigure;
  startMs: StartFigure;
  capture: { '100k': CaptureBench | null; '1M': CaptureBench | null };
  /** Compatibility grid cells per second (each cell a lab of its own), or null when not run. */
  grid: GridBench | null;
  /** Issue 13: a class of 20 seats on one machine (app/bench/classroom.ts). */
  classroom: ClassroomFigure;
  /** Issue 11's four ratios against their first targets and goals (app/bench/targets.ts). */
  targets: TargetCheck[];
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const sizes = { ...(options.quick ? quickSizes : fullSizes), ...options.sizes };
  const clock = options.clock ?? realClock;
  const progress = options.progress ?? (() => undefined);

  const startMs = await benchStart({ runs: sizes.startRuns, clock, progress });
  const throughput = {} as Record<Method, ThroughputFigure>;
  for (const method of methods) {
    throughput[method] = await benchThroughput(method, { ...sizes, clock, progress });
  }
  const sessions = await benchSessions({
    sessions: sizes.sessions, concurrency: sizes.concurrency, warmup: sizes.warmup, clock, progress, postfix: options.postfix,
  });
  // Each in a process of its own, on its real clock: its memory figures are the lab's alone.
  const load = await benchLoadApart({ ...sizes.load, via: 'asa', progress });
  const up = await benchLoadApart({ ...sizes.up, via: 'direct', progress });
  const classroom = await benchClassroom({ seats: sizes.classroomSeats, checks: sizes.classroomChecks, clock, progress });
  const capture: BenchReport['capture'] = { '100k': null, '1M': null };
  for (const [key, packets] of [['100k', 100_000], ['1M', 1_000_000]] as const) {
    if (!sizes.capture[key]) continue;
    progress(`capture: ${packets} packets`);
    capture[key] = await benchCapture(packets);
  }
  const grid = sizes.grid ? await benchGrid(sizes.grid, progress) : null;
  return {
    version: 1, node: process.version, cpus: os.cpus().length, quick: options.quick, tmpdir: os.tmpdir(),
    throughput, sessions, load, up, startMs, capture, classroom, grid, targets: checkTargets(throughput, sessions),
  };
}

/** What went missing in a run: the lab must move every message it was given. Empty when nothing did. */
export function shortfalls(report: BenchReport): string[] {
  const out: string[] = [];
  for (const method of methods) {
    const t = report.throughput[method];
    if (t.delivered.lab < t.messages) out.push(`throughput ${method}: the lab delivered ${t.delivered.lab} of ${t.messages} messages`);
    if (t.delivered.baseline < t.messages) out.push(`throughput ${method}: the baseline delivered ${t.delivered.baseline} of ${t.messages} messages`);
    if (t.delivered.baselineViaPipe < t.messages) out.push(`throughput ${method}: the baseline behind the bare relay delivered ${t.delivered.baselineViaPipe} of ${t.messages} messages`);
  }
  if (report.grid && report.grid.agree < report.grid.cells) out.push(`grid: ${report.grid.cells - report.grid.agree} of ${report.grid.cells} cells disagreed with their expectation`);
  for (const key of ['load', 'up'] as const) {
    const l = report[key];
    if (l.delivered < l.messages) out.push(`${key}: ${l.delivered} of ${l.messages} messages delivered`);
    // Issue 18: none deferred by the lab's own overload (nothing in these labs refuses mail).
    if (l.deferred > 0) out.push(`${key}: ${l.deferred} of ${l.messages} messages were deferred at least once`);
    if (l.stalled) out.push(`${key}: the queue stopped moving after ${Math.round(l.stalled.afterMs / 1000)} s with ${l.stalled.inFlight} entries in flight (${l.stalled.active} sessions open, ${l.stalled.waiting} waiting for a slot)`);
  }
  const s = report.sessions;
  for (const key of ['lab', 'baseline', 'viaPath', 'viaPipe'] as const) {
    if (s.completed[key] < s.sessions) out.push(`sessions ${key}: ${s.completed[key]} of ${s.sessions} sessions ended with 221`);
  }
  const c = report.classroom;
  if (c.boardEvents < c.seats * c.checks) out.push(`classroom: the board received ${c.boardEvents} of ${c.seats * c.checks} seat updates`);
  return out;
}
