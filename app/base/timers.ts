/**
 * Real-time timers, injected (docs/architecture.md, "Conventions": inject time). Network I/O runs in real time (docs/lab.md, "Time"), so
 * socket timeouts and middlebox delays use these; everything else uses the lab clock.
 */
export interface Timers {
  /** Run `fn` after `ms` real milliseconds. Returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
  /** Real milliseconds from an arbitrary origin, monotonic. */
  now(): number;
}

/**
 * The longest wait a Node timer holds (2^31-1 ms, about 24.8 days): Node sets a longer one to 1 ms
 * with a TimeoutOverflowWarning (Node's `setTimeout` docs), which turned "very long" into "at once".
 * Scenario and flag durations are bounded below it (app/base/clock.ts `REAL_DURATION`); a longer
 * wait that reaches here anyway waits this long instead.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.min(ms, MAX_TIMER_MS));
    handle.unref?.();
    return () => clearTimeout(handle);
  },
  now: () => performance.now(),
};
