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

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return () => clearTimeout(handle);
  },
  now: () => performance.now(),
};
