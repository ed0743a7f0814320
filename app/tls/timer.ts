/**
 * A real-time timer for network timeouts, injected (STYLE.md §6: nothing in the engine calls
 * setTimeout directly). Network I/O runs in real time (SPEC §2), so this is not the lab clock;
 * tests pass a manual timer and fire it when they choose, instead of sleeping.
 */
export interface NetTimer {
  /** Call `fn` after `ms` real milliseconds. Returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}
