import { describe, expect, it } from 'vitest';
import { inTurns, median, perSecond, ratio, roundRatios, runWindow, timed, turns, type BenchClock } from '../../app/bench/measure.ts';

/** A clock that moves only when told: the bench's arithmetic without real time. */
function manualClock(): BenchClock & { advance(ms: number): void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('bench arithmetic', () => {
  it('turns a count and the time it took into a rate per second', () => {
    expect(perSecond(2000, 4000)).toBe(500);
    expect(perSecond(50, 250)).toBe(200);
    expect(perSecond(0, 100)).toBe(0);
  });

  it('gives lab / baseline as the ratio, and no ratio without a baseline', () => {
    expect(ratio(90, 900)).toBe(0.1);
    expect(ratio(2400, 2000)).toBe(1.2);
    expect(ratio(100, null)).toBeNull();
    expect(ratio(100, 0)).toBeNull();
  });

  it('times an operation on the injected clock, reading it once before and once after', async () => {
    const clock = manualClock();
    const { ms, value } = await timed(clock, async () => {
      clock.advance(1234);
      return 'done';
    });
    expect(ms).toBe(1234);
    expect(value).toBe('done');
  });

  it('takes the middle of an odd list and the mean of the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('runs every job once with never more than the window in flight, counting successes', async () => {
    let inFlight = 0, most = 0;
    const seen: number[] = [];
    const ok = await runWindow(25, 4, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      seen.push(i);
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      inFlight--;
      return i % 5 !== 0;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(most).toBe(4);
    expect(ok).toBe(20);
  });

  it('splits a run into four turns as even as they go, every message or session in exactly one', () => {
    expect(turns(2000)).toEqual([500, 500, 500, 500]);
    expect(turns(50)).toEqual([13, 13, 12, 12]);
    expect(turns(6)).toEqual([2, 2, 1, 1]);
    expect(turns(3)).toEqual([1, 1, 1]);
    expect(turns(0)).toEqual([0]);
    for (const n of [1, 7, 199, 10_001]) expect(turns(n).reduce((a, b) => a + b, 0)).toBe(n);
  });

  it('runs the targets in turns over the same items, timing each share and not what settles after it', async () => {
    // A clock that only the work moves: each item costs its target's price, settling costs 1,000.
    let now = 0;
    const clock: BenchClock = { now: () => now };
    const log: string[] = [];
    const target = (name: string, price: number, fails = 0) => ({
      run: async (share: number, from: number) => {
        log.push(`${name} ${from}+${share}`);
        now += share * price;
        return share - fails;
      },
      after: async () => {
        now += 1_000;
      },
    });
    const totals = await inTurns(6, clock, [target('a', 1), target('b', 10, 1)]);
    expect(log).toEqual(['a 0+2', 'b 0+2', 'a 2+2', 'b 2+2', 'a 4+1', 'b 4+1', 'a 5+1', 'b 5+1']);
    expect(totals.map(({ ms, value }) => ({ ms, value }))).toEqual([{ ms: 6, value: 6 }, { ms: 60, value: 2 }]);
    // Each round's share apart, in order: what the report's spread is made of.
    expect(totals[0].rounds).toEqual([{ ms: 2, value: 2 }, { ms: 2, value: 2 }, { ms: 1, value: 1 }, { ms: 1, value: 1 }]);
    expect(totals[1].rounds).toEqual([{ ms: 20, value: 1 }, { ms: 20, value: 1 }, { ms: 10, value: 0 }, { ms: 10, value: 0 }]);
  });

  it("keeps a ratio steady round by round while the machine's speed drifts under both sides", async () => {
    // The machine slows down round after round; the lab always costs twice the baseline's time.
    let now = 0;
    let round = 0;
    const clock: BenchClock = { now: () => now };
    const slowdown = () => 1 + round;
    const target = (price: number, last = false) => ({
      run: async (share: number) => {
        now += share * price * slowdown();
        if (last) round++;
        return share;
      },
    });
    const [base, lab] = await inTurns(400, clock, [target(1), target(2, true)]);
    // Rates fall fourfold over the run, on both sides alike...
    expect(perSecond(base.rounds[0].value, base.rounds[0].ms)).toBe(4 * perSecond(base.rounds[3].value, base.rounds[3].ms));
    // ...so every round gives the same lab / baseline.
    expect(roundRatios(lab, base)).toEqual([0.5, 0.5, 0.5, 0.5]);
    // A side that did nothing in a round has no ratio there.
    const idle = { ...lab, rounds: lab.rounds.map((r, i) => (i === 2 ? { ms: r.ms, value: 0 } : r)) };
    expect(roundRatios(base, idle)).toEqual([2, 2, null, 2]);
  });
});
