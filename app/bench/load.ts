/**
 * `load` and `up` (issues 11 and 18): many messages submitted over many sessions through a lab's
 * submission port, as a user's mail client would, into a lab running as `postcard-lab up` runs it
 * (its clock following real time). Reports whether every message was delivered, how many were
 * ever deferred, the throughput, and the process's resident memory: sampled while the run goes
 * (`rssPeakMB`), so a queue or capture that grows without end shows as a peak that grows with
 * the message count, not as a crash.
 *
 *   load  10,000 messages over 50 sessions through the `asa` firewall, capture on (the path taps)
 *   up     2,000 messages over 20 sessions, the postcard lab (direct path)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { forkTypeScript } from '../base/fork.ts';
import { createLab, type Lab } from '../lab/lab.ts';
import { lab as labSchema, type LabConfig } from '../config/lab.ts';
import { benchLab } from './labs.ts';
import { Submitter } from './submitter.ts';
import { perSecond, round, type BenchClock } from './measure.ts';
import type { FromLoadChild, ToLoadChild } from './load-child.ts';

export interface LoadFigure {
  messages: number;
  sessions: number;
  /** Messages that got 250 from the submission port. */
  accepted: number;
  /** Messages in Sean's mailbox at the end. */
  delivered: number;
  /** Queue entries that had an attempt other than `delivered` (the lab's own overload shows here). */
  deferred: number;
  /** Messages per second, from the first submission to the last delivery. */
  rate: number;
  ms: number;
  rssStartMB: number;
  rssPeakMB: number;
  /**
   * RSS when half the messages had been delivered, and after the queue drained, each right after a
   * full garbage collection (so the two samples are taken alike, not wherever V8 happened to be
   * in its collection cycle).
   */
  rssHalfMB: number;
  rssEndMB: number;
  /** What is alive at the same two moments: V8's heap in use plus ArrayBuffers (Buffers). */
  liveHalfMB: number;
  liveEndMB: number;
  /**
   * Memory stays bounded (`boundedGrowth`): the second half of the messages added at most half of
   * what the first half added to the RSS. A store that grows with the message count adds as much in
   * the second half as in the first; bounded ones stop at their limits (the capture budget fills
   * within the first 2,500 messages of `load`). Meaningful only when the run is long enough to fill
   * them: false in `--quick` says nothing.
   */
  bounded: boolean;
  /** What the lab kept at the end, against its limits (docs/decisions.md, "Bounded memory"). */
  retained: {
    serverLogConnections: number;
    serverLogLines: number;
    transcripts: number;
    captureMB: number;
    captureLimitMB: number;
  };
  /** Packets the capture store holds at the end, and those it dropped to stay within its limit. */
  capture: { packets: number; dropped: number };
  /** Most outbound sessions open at once (the queue manager's limit holds). */
  peakSessions: number;
  /**
   * Set when the queue stopped moving: nothing was delivered, deferred or bounced for `stallMs`
   * while mail was still in flight (what was waiting then). Absent when the lab settled.
   */
  stalled?: { afterMs: number; waiting: number; active: number; inFlight: number };
}

export interface LoadOptions {
  messages: number;
  sessions: number;
  via: 'asa' | 'direct';
  clock: BenchClock;
  progress(line: string): void;
  /**
   * How long the queue may go without settling any message before the run calls it a stall
   * (default 300 s: longer than a bench session's 120 s idle timeout, after which a hung session
   * would be deferred and show as movement).
   */
  stallMs?: number;
}

/**
 * Wait until nothing is in flight. Slow is not stuck: on a loaded machine the backlog left when
 * submission ends can take longer than any fixed limit to drain (the submission port's back-pressure
 * holds each 250 for at most 1 s, so when delivery is slower than the sessions submit, the queue
 * grows past its threshold). So the wait has no total limit; it ends as a stall only when no message
 * settled for `stallMs` while entries were still in flight. Progress goes to `progress` every 10 s.
 */
/** What `drained` reads of a lab. */
export type DrainingLab = Pick<Lab, 'timers' | 'events' | 'inFlight'> & { slots: { readonly waiting: number; readonly active: number } };

export function drained(lab: DrainingLab, stallMs: number, progress: (line: string) => void, delivered: () => number): Promise<LoadFigure['stalled']> {
  return new Promise((resolve) => {
    const started = lab.timers.now();
    let cancelStall = () => {};
    let cancelReport = () => {};
    let done = false;
    const finish = (stalled: LoadFigure['stalled']) => {
      if (done) return;
      done = true;
      unsubscribe();
      cancelStall();
      cancelReport();
      resolve(stalled);
    };
    const state = () => ({ waiting: lab.slots.waiting, active: lab.slots.active, inFlight: lab.inFlight });
    const armStall = () => {
      cancelStall();
      cancelStall = lab.timers.setTimeout(() => finish({ afterMs: Math.round(lab.timers.now() - started), ...state() }), stallMs);
    };
    const report = () => {
      const s = state();
      progress(`  draining: ${delivered()} delivered, ${s.active} sessions open, ${s.waiting} waiting for a slot, RSS ${mb(process.memoryUsage().rss)} MB`);
      cancelReport = lab.timers.setTimeout(report, 10_000);
    };
    const check = () => {
      if (lab.inFlight > 0) return;
      // As Lab.idle does: a bounce may be queued right after the event that caused it.
      queueMicrotask(() => {
        if (lab.inFlight === 0) finish(undefined);
      });
    };
    const unsubscribe = lab.events.subscribe((e) => {
      if (e.type === 'mail.delivered' || e.type === 'mail.deferred' || e.type === 'mail.bounced') {
        armStall();
      }
      check();
    });
    armStall();
    cancelReport = lab.timers.setTimeout(report, 10_000);
    check();
  });
}

export function loadLab(via: LoadOptions['via']): LabConfig {
  const base = benchLab('plain');
  if (via === 'direct') return base;
  return labSchema.parse({ ...base, paths: [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile: 'asa' } }] });
}

const mb = (bytes: number) => round(bytes / 1024 / 1024);

/** `bounded`: the second half may add at most this share of what the first half added. */
export const BOUNDED_GROWTH = 0.5;

/**
 * Whether resident memory stopped growing with the message count: what the second half of a run
 * added against what the first half did (RSS at the start, at half the messages, at the end). Not
 * "at most 10 % over the RSS at half", as until 2026-12-07: V8 sizes its heap to the allocation
 * rate, so a fast run's RSS keeps climbing towards its plateau past halfway while what the lab
 * holds stays flat (docs/bench.md, `load`); a store growing per message still adds about as much
 * in each half.
 */
export function boundedGrowth(startMB: number, halfMB: number, endMB: number): boolean {
  return endMB - halfMB <= BOUNDED_GROWTH * Math.max(0, halfMB - startMB);
}

interface Memory {
  rss: number;
  live: number;
}

let fullGc: (() => void) | undefined;

/**
 * RSS and live memory right after a full collection. `global.gc` when node runs with
 * `--expose-gc`; otherwise V8's flag is set at run time and its `gc` taken from a new context (the
 * flag only exposes the function; it changes nothing else in the collector).
 */
function collected(): Memory {
  fullGc ??= (globalThis as { gc?: () => void }).gc ?? (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  })();
  fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss, live: m.heapUsed + m.arrayBuffers };
}

export async function benchLoad(o: LoadOptions): Promise<LoadFigure> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-bench-load-'));
  const lab = await createLab(loadLab(o.via), { workspace, running: { scale: 1 } });
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  let half: Memory | undefined;
  let delivered = 0;
  const countDelivered = lab.events.subscribe((e) => {
    if (e.type !== 'mail.delivered' || ++delivered !== Math.ceil(o.messages / 2)) return;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    half = collected();
    rssPeak = Math.max(rssPeak, half.rss);
  });
  const sample = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  try {
    const submission = lab.servers.get('intellinet')!.listeners.find((l) => l.role === 'submission')!.port;
    const sean = lab.servers.get('ntsol')!;
    o.progress(`${o.via === 'asa' ? 'load' : 'up'}: ${o.messages} messages over ${o.sessions} sessions`);
    const started = o.clock.now();
    let next = 0;
    let accepted = 0;
    await Promise.all(Array.from({ length: o.sessions }, async () => {
      const s = await Submitter.open(submission);
      while (next < o.messages) {
        const n = next++;
        const reply = await s.send('alice@intellinet.example', 'sean@ntsol.example',
          `From: alice@intellinet.example\nTo: sean@ntsol.example\nSubject: load ${n}\n\n${'Load test line.\n'.repeat(100)}`);
        if (reply?.startsWith('250')) accepted++;
      }
      s.close();
    }));
    o.progress(`  submitted: ${accepted} accepted; ${lab.slots.waiting} waiting for a slot`);
    const stalled = await drained(lab, o.stallMs ?? 300_000, o.progress, () => sean.mailboxes.list('sean').length);
    const ms = o.clock.now() - started;
    const delivered = sean.mailboxes.list('sean').length;
    const entries = [...lab.servers.get('intellinet')!.entries.values()];
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const end = collected();
    rssPeak = Math.max(rssPeak, end.rss);
    const mid = half ?? end;
    let serverLogLines = 0;
    for (const lines of lab.serverLogs.values()) serverLogLines += lines.length;
    return {
      messages: o.messages, sessions: o.sessions, accepted, delivered,
      deferred: entries.filter((e) => e.attempts.some((a) => a.result !== 'delivered')).length,
      rate: perSecond(delivered, ms), ms: round(ms),
      rssStartMB: mb(rssStart), rssPeakMB: mb(rssPeak), rssHalfMB: mb(mid.rss), rssEndMB: mb(end.rss),
      liveHalfMB: mb(mid.live), liveEndMB: mb(end.live),
      bounded: boundedGrowth(mb(rssStart), mb(mid.rss), mb(end.rss)),
      retained: {
        serverLogConnections: lab.serverLogs.size, serverLogLines,
        transcripts: [...lab.servers.values()].reduce((n, s) => n + s.transcriptsKept, 0),
        captureMB: mb(lab.taps.budget.used), captureLimitMB: mb(lab.taps.budget.maxBytes),
      },
      capture: { packets: lab.capture.size, dropped: lab.capture.points().reduce((n, p) => n + p.dropped, 0) },
      peakSessions: lab.slots.peak,
      ...(stalled ? { stalled } : {}),
    };
  } finally {
    clearInterval(sample);
    countDelivered();
    await lab.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));
/** How long a figure's process may take to end after sending its figure. */
const CHILD_EXIT_WAIT_MS = 15_000;

/**
 * `benchLoad` in a process of its own (load-child.ts), timed on its real clock: the figure's
 * resident memory is then the lab's, as in a `postcard-lab up` process, and not what the bench's
 * earlier figures left in this one (docs/bench.md, "`load` and `up`": in the bench's process a full
 * run once reported unbounded RSS with live memory flat). Rejects when the process fails or ends
 * without a figure.
 * `child`: the file to fork (load-child.ts; tests give one that fails).
 */
export function benchLoadApart(o: Omit<LoadOptions, 'clock'>, { child: entry = CHILD } = {}): Promise<LoadFigure> {
  const { progress, ...options } = o;
  return new Promise((resolve, reject) => {
    // Its stdout is not ours: `bench --json` prints only the report there.
    const child = forkTypeScript(entry, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let figure: LoadFigure | undefined;
    let failure: string | undefined;
    child.on('message', (m: FromLoadChild) => {
      if (m.type === 'ready') child.send({ type: 'run', options } satisfies ToLoadChild);
      else if (m.type === 'progress') progress(m.line);
      else if (m.type === 'result') {
        figure = m.figure;
        // The figure is in hand: a process that does not end by itself is not waited for.
        setTimeout(() => child.kill('SIGKILL'), CHILD_EXIT_WAIT_MS).unref();
      }
      else if (m.type === 'failed') failure = m.error;
    });
    child.on('error', (error) => {
      failure ??= error.message;
    });
    child.on('exit', (code, signal) => {
      if (figure && !failure) resolve(figure);
      else reject(new Error(`the ${o.via === 'asa' ? 'load' : 'up'} figure's process ${failure ? `failed: ${failure}` : `ended (${signal ?? `exit code ${code}`}) without a figure`}`));
    });
  });
}
