import { MAX_TIMER_MS, type Timers } from './timers.ts';
import { LabError } from './errors.ts';

/**
 * The lab's virtual clock (docs/lab.md, "Time").
 *
 * Network I/O runs in real time; everything else — queue retries and lifetimes, certificate
 * validity, MTA-STS policy ages, scenario `advance` steps — runs on this clock. Timers scheduled
 * here fire only when the clock is moved forward (`advanceTo`), so a scenario that waits two days
 * takes no wall time, and the same seed gives the same order of events.
 */
export interface LabClock {
  /** Lab time in milliseconds since the Unix epoch. */
  now(): number;
  /** Schedule `fn` at lab time `at` (ms since epoch). Returns a cancel function. */
  at(at: number, label: string, fn: () => void): () => void;
  /** The lab time of the next scheduled event, or undefined when nothing is scheduled. */
  nextEventTime(): number | undefined;
  /** Move the clock forward to `t`, firing every timer due on the way, in order. */
  advanceTo(t: number): void;
  /** Move the clock forward by `ms`. */
  advance(ms: number): void;
}

interface Timer {
  at: number;
  order: number;
  label: string;
  fn: () => void;
}

/** The timers scheduled on a lab clock, in order of lab time (ties: order of scheduling). */
class TimerList {
  #timers: Timer[] = [];
  #order = 0;

  add(at: number, label: string, fn: () => void): () => void {
    const timer: Timer = { at, order: this.#order++, label, fn };
    this.#timers.push(timer);
    this.#timers.sort((a, b) => a.at - b.at || a.order - b.order);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  }

  get first(): Timer | undefined {
    return this.#timers[0];
  }

  /** Remove and return the first timer when it is due at `t`. */
  takeDue(t: number): Timer | undefined {
    return this.#timers.length > 0 && this.#timers[0].at <= t ? this.#timers.shift() : undefined;
  }

  list(): { at: number; label: string }[] {
    return this.#timers.map(({ at, label }) => ({ at, label }));
  }
}

export interface PendingTimers {
  /** Labels of pending timers, for the UI and for debugging a scenario that does not settle. */
  pending(): { at: number; label: string }[];
}

export class VirtualClock implements LabClock, PendingTimers {
  #now: number;
  #timers = new TimerList();

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  at(at: number, label: string, fn: () => void): () => void {
    return this.#timers.add(Math.max(at, this.#now), label, fn);
  }

  nextEventTime(): number | undefined {
    return this.#timers.first?.at;
  }

  pending(): { at: number; label: string }[] {
    return this.#timers.list();
  }

  advanceTo(t: number): void {
    checkLabTime(t);
    for (let timer = this.#timers.takeDue(t); timer; timer = this.#timers.takeDue(t)) {
      this.#now = Math.max(this.#now, timer.at);
      timer.fn();
    }
    this.#now = Math.max(this.#now, t);
  }

  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }
}

/**
 * A lab clock that runs by itself (docs/decisions.md, "A clock that runs"): where no scenario
 * drives time — `postcard-lab up` and `serve` — lab time follows real time, `scale` times as fast
 * (`--time-scale 60`: an hour of queue retries in a minute), so retries, queue lifetimes and
 * bounces happen as on a real server. `advanceTo` still jumps ahead (a UI or scenario step).
 */
export class RunningClock implements LabClock, PendingTimers {
  readonly scale: number;
  #start: number;
  #realStart: number;
  #skipped = 0;
  #timers = new TimerList();
  #real: Timers;
  #cancelWake: (() => void) | undefined;

  constructor(start: number, real: Timers, scale = 1) {
    if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`time scale must be a positive number, not ${scale}`);
    this.scale = scale;
    this.#start = start;
    this.#real = real;
    this.#realStart = real.now();
  }

  now(): number {
    return Math.floor(this.#start + this.#skipped + (this.#real.now() - this.#realStart) * this.scale);
  }

  at(at: number, label: string, fn: () => void): () => void {
    const cancel = this.#timers.add(at, label, fn);
    this.#arm();
    return () => {
      cancel();
      this.#arm();
    };
  }

  nextEventTime(): number | undefined {
    return this.#timers.first?.at;
  }

  pending(): { at: number; label: string }[] {
    return this.#timers.list();
  }

  advanceTo(t: number): void {
    checkLabTime(t);
    const now = this.now();
    if (t > now) this.#skipped += t - now;
    this.#fireDue();
  }

  advance(ms: number): void {
    this.advanceTo(this.now() + ms);
  }

  /** Stop the wake-up timer (the lab is stopping). */
  stop(): void {
    this.#cancelWake?.();
    this.#cancelWake = undefined;
  }

  #fireDue(): void {
    for (let timer = this.#timers.takeDue(this.now()); timer; timer = this.#timers.takeDue(this.now())) timer.fn();
    this.#arm();
  }

  /** One real timer, for the earliest lab timer (a long wait is taken in steps a timer can hold). */
  #arm(): void {
    this.#cancelWake?.();
    this.#cancelWake = undefined;
    const first = this.#timers.first;
    if (!first) return;
    const wait = Math.min(Math.max(0, Math.ceil((first.at - this.now()) / this.scale)), MAX_TIMER_MS);
    this.#cancelWake = this.#real.setTimeout(() => {
      this.#cancelWake = undefined;
      this.#fireDue();
    }, wait);
  }
}

const DAY_MS = 86_400_000;

/**
 * The latest lab time: the last instant of 9999-12-31 (UTC). ISO 8601's four-digit years end there,
 * and so does `clock.start` (docs/scenario-format.md); `Date` itself goes on to 8.64e15 ms
 * (ECMA-262 §21.4.1.1), but a clock past it wrote `Date: undefined, NaN …` headers and wedged the lab.
 */
export const MAX_LAB_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Refuse a lab time the clock cannot stand at, before anything moves (a failed advance changes nothing). */
export function checkLabTime(t: number): void {
  if (!Number.isFinite(t)) throw new LabError(`the lab clock cannot move to ${t}`);
  if (t > MAX_LAB_TIME) throw new LabError(`the lab clock cannot move past ${new Date(MAX_LAB_TIME).toISOString()} (it would reach ${t} ms after 1970)`);
}

/** How far the lab clock may move in one go, and how long its intervals may be. */
export interface DurationBound {
  /** At most this many milliseconds. */
  maxMs: number;
  /** The bound in the format's own words (`36500d`), and why. */
  text: string;
  /** 0 allowed (a greeting without delay) or not (a timeout of 0 would give up at once). */
  zero: boolean;
}

/**
 * Durations on the lab clock — `advance` steps, a queue's `lifetime` and `retry` intervals, the
 * UI's "advance the clock" — at most 100 years (docs/scenario-format.md, "Durations").
 */
export const LAB_DURATION: DurationBound = { maxMs: 36_500 * DAY_MS, text: '36500d (100 years)', zero: true };

/**
 * Real-time waits (`settings.timeout`, `inbound.greetingDelay`, `grid --timeout`): at most 24 days,
 * under the longest wait Node's timers hold (`MAX_TIMER_MS`, about 24.8 days; a longer one fires
 * after 1 ms).
 */
export const REAL_DURATION: DurationBound = { maxMs: 24 * DAY_MS, text: '24d (a real-time wait; Node\'s timers hold at most about 24.8 days)', zero: true };

/** A socket timeout: as REAL_DURATION, and more than 0 (a timeout of 0 gives up before the first reply). */
export const TIMEOUT_DURATION: DurationBound = { ...REAL_DURATION, zero: false };

export const DURATION_SYNTAX = 'expected a duration such as 90s, 15m, 2h or 2d';

/** A duration checked against its bound: its milliseconds, or a message saying what is wrong with it. */
export function checkDuration(value: string | number, bound: DurationBound): { ok: true; ms: number } | { ok: false; message: string } {
  const ms = parseDuration(value);
  if (ms === undefined) return { ok: false, message: DURATION_SYNTAX };
  if (ms > bound.maxMs) return { ok: false, message: `at most ${bound.text}, not ${JSON.stringify(value)}` };
  if (ms === 0 && !bound.zero) return { ok: false, message: `must be more than 0, not ${JSON.stringify(value)}` };
  return { ok: true, ms };
}

/**
 * Parse a scenario duration: `90s`, `15m`, `2h`, `2d`, `1w`, or a bare number of milliseconds.
 * Unbounded here (undefined only for what is not a duration, or too large to be a number): each
 * use checks its own bound with `checkDuration`.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }[m[2] ?? 'ms']!;
  const ms = Math.round(Number(m[1]) * unit);
  return Number.isFinite(ms) ? ms : undefined;
}
