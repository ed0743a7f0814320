/** Real-time timers (app/base/timers.ts): a wait longer than a Node timer holds is not turned into 1 ms. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, realTimers } from '../../app/base/timers.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('realTimers', () => {
  it('arms a wait beyond 2^31-1 ms as the longest a timer holds, not as Node\'s 1 ms with a TimeoutOverflowWarning', () => {
    const armed = vi.spyOn(globalThis, 'setTimeout');
    realTimers.setTimeout(() => {}, 99_999_999_999 * 604_800_000)();
    expect(armed).toHaveBeenCalledWith(expect.any(Function), 2_147_483_647);
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it('arms an ordinary wait as asked', () => {
    const armed = vi.spyOn(globalThis, 'setTimeout');
    realTimers.setTimeout(() => {}, 1_500)();
    expect(armed).toHaveBeenCalledWith(expect.any(Function), 1_500);
  });
});
