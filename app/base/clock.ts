import type { Timers } from './timers.ts';

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
    const wait = Math.min(Math.max(0, Math.ceil((first.at - this.now()) / this.scale)), 2 ** 31 - 1);
    this.#cancelWake = this.#real.setTimeout(() => {
      this.#cancelWake = undefined;
      this.#fireDue();
    }, wait);
  }
}

/** Parse a scenario duration: `90s`, `15m`, `2h`, `2d`, or a bare number of milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] ?? 'ms']!;
  return Math.round(Number(m[1]) * unit);
}
