// A wall clock the test moves by hand, and timers that never fire on their own (the test calls
// the idle sweep itself): no sleeping, no timed assertion.
import type { Timers } from '../../app/base/timers.ts';

export interface ManualNow {
  now(): number;
  advance(ms: number): void;
  timers: Timers;
}

export function manualNow(start: number): ManualNow {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => { t += ms; },
    timers: { setTimeout: () => () => undefined, now: () => t },
  };
}
