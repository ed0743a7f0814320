/**
 * The lab's virtual clock (SPEC §2 "Time").
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

export class VirtualClock implements LabClock {
  #now: number;
  #timers: Timer[] = [];
  #order = 0;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  at(at: number, label: string, fn: () => void): () => void {
    const timer: Timer = { at: Math.max(at, this.#now), order: this.#order++, label, fn };
    this.#timers.push(timer);
    this.#timers.sort((a, b) => a.at - b.at || a.order - b.order);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  }

  nextEventTime(): number | undefined {
    return this.#timers[0]?.at;
  }

  /** Labels of pending timers, for the UI and for debugging a scenario that does not settle. */
  pending(): { at: number; label: string }[] {
    return this.#timers.map(({ at, label }) => ({ at, label }));
  }

  advanceTo(t: number): void {
    while (this.#timers.length > 0 && this.#timers[0].at <= t) {
      const timer = this.#timers.shift()!;
      this.#now = Math.max(this.#now, timer.at);
      timer.fn();
    }
    this.#now = Math.max(this.#now, t);
  }

  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
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
