import { describe, expect, it } from 'vitest';
import { RunningClock, VirtualClock, parseDuration } from '../../app/base/clock.ts';
import { createRng } from '../../app/base/rng.ts';

describe('VirtualClock', () => {
  it('fires timers in lab-time order only when advanced, and never moves backwards', () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 28, 9));
    const fired: string[] = [];
    clock.at(clock.now() + 2 * 86_400_000, 'lifetime', () => fired.push('bounce'));
    clock.at(clock.now() + 60_000, 'retry', () => fired.push('retry'));
    const cancel = clock.at(clock.now() + 30_000, 'cancelled', () => fired.push('never'));
    cancel();
    expect(clock.nextEventTime()).toBe(Date.UTC(2026, 10, 28, 9, 1));
    clock.advance(59_999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['retry']);
    clock.advanceTo(Date.UTC(2026, 10, 30, 9));
    expect(fired).toEqual(['retry', 'bounce']);
    clock.advanceTo(0);
    expect(clock.now()).toBe(Date.UTC(2026, 10, 30, 9));
  });

  it('parses scenario durations and rejects nonsense', () => {
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });
});

describe('createRng', () => {
  it('replays the same sequence for the same seed and differs across seeds and forks', () => {
    const a = createRng(7), b = createRng(7), c = createRng(8);
    const seq = (r: ReturnType<typeof createRng>) => Array.from({ length: 8 }, () => r.int(1000));
    const sa = seq(a);
    expect(seq(b)).toEqual(sa);
    expect(seq(c)).not.toEqual(sa);
    expect(createRng(7).fork('canary').hex(8)).toBe(createRng(7).fork('canary').hex(8));
    expect(createRng(7).fork('canary').hex(8)).not.toBe(createRng(7).fork('stages').hex(8));
  });
});

describe('RunningClock (up and serve)', () => {
  /** Real time under the test's control. */
  function fakeTimers() {
    let now = 0;
    const timers: { at: number; fn: () => void }[] = [];
    return {
      timers: {
        now: () => now,
        setTimeout(fn: () => void, ms: number) {
          const t = { at: now + ms, fn };
          timers.push(t);
          return () => timers.splice(timers.indexOf(t), 1);
        },
      },
      pass(ms: number) {
        now += ms;
        for (const t of timers.filter((x) => x.at <= now)) {
          timers.splice(timers.indexOf(t), 1);
          t.fn();
        }
      },
    };
  }

  it('runs by itself, scale times as fast as real time, and fires retries when their lab time comes', () => {
    const real = fakeTimers();
    const clock = new RunningClock(Date.UTC(2026, 10, 28, 9), real.timers, 60);
    const fired: string[] = [];
    clock.at(clock.now() + 10 * 60_000, 'retry Q1', () => fired.push('Q1'));
    real.pass(9_999); // 9.999 s real = 9 min 59.94 s lab
    expect(fired).toEqual([]);
    real.pass(1);
    expect(fired).toEqual(['Q1']);
    expect(clock.now()).toBe(Date.UTC(2026, 10, 28, 9, 10));
  });

  it('advanceTo still jumps ahead (a scenario step or the UI), firing what is due', () => {
    const real = fakeTimers();
    const clock = new RunningClock(0, real.timers);
    const fired: number[] = [];
    clock.at(3_600_000, 'one hour', () => fired.push(clock.now()));
    clock.advance(3_600_000);
    expect(fired).toEqual([3_600_000]);
    expect(clock.pending()).toEqual([]);
  });

  it('refuses a time scale that is not a positive number', () => {
    expect(() => new RunningClock(0, fakeTimers().timers, 0)).toThrow(/positive/);
  });
});
