import { describe, expect, it } from 'vitest';
import { checkDuration, LAB_DURATION, MAX_LAB_TIME, REAL_DURATION, RunningClock, TIMEOUT_DURATION, VirtualClock, parseDuration } from '../../app/base/clock.ts';
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
    // Digits enough to overflow a double are not a duration (they were Infinity).
    expect(parseDuration(`${'9'.repeat(400)}w`)).toBeUndefined();
  });

  it('bounds durations: 100 years on the lab clock, 24 days for a real-time wait, a timeout above 0', () => {
    expect(checkDuration('36500d', LAB_DURATION)).toEqual({ ok: true, ms: 36_500 * 86_400_000 });
    expect(checkDuration('99999999999w', LAB_DURATION)).toEqual({ ok: false, message: 'at most 36500d (100 years), not "99999999999w"' });
    expect(checkDuration(1e300, LAB_DURATION)).toEqual({ ok: false, message: 'at most 36500d (100 years), not 1e+300' });
    expect(checkDuration('24d', REAL_DURATION)).toEqual({ ok: true, ms: 24 * 86_400_000 });
    expect(checkDuration('25d', REAL_DURATION)).toMatchObject({ ok: false, message: expect.stringMatching(/^at most 24d /) });
    expect(checkDuration('0s', REAL_DURATION)).toEqual({ ok: true, ms: 0 });
    expect(checkDuration('0s', TIMEOUT_DURATION)).toEqual({ ok: false, message: 'must be more than 0, not "0s"' });
    expect(checkDuration('soon', LAB_DURATION)).toEqual({ ok: false, message: 'expected a duration such as 90s, 15m, 2h or 2d' });
  });

  it('refuses to move past the last time a date can name, and a refused move changes nothing', () => {
    const start = Date.UTC(9999, 11, 1);
    const clock = new VirtualClock(start);
    const fired: string[] = [];
    clock.at(start + 1_000, 'retry', () => fired.push('retry'));
    expect(() => clock.advanceTo(MAX_LAB_TIME + 1)).toThrow('the lab clock cannot move past 9999-12-31T23:59:59.999Z');
    expect(() => clock.advance(1e300)).toThrow('the lab clock cannot move past');
    expect(() => clock.advanceTo(Number.NaN)).toThrow('the lab clock cannot move to NaN');
    expect(clock.now()).toBe(start);
    expect(fired).toEqual([]);
    expect(clock.pending()).toEqual([{ at: start + 1_000, label: 'retry' }]);
    // Still usable: the next move fires what is due, and a date can still be written.
    clock.advanceTo(MAX_LAB_TIME);
    expect(fired).toEqual(['retry']);
    expect(new Date(clock.now()).toISOString()).toBe('9999-12-31T23:59:59.999Z');
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

  it('refuses a jump past the last time a date can name, without moving', () => {
    const real = fakeTimers();
    const clock = new RunningClock(Date.UTC(9999, 11, 1), real.timers);
    const fired: string[] = [];
    clock.at(clock.now() + 1_000, 'retry', () => fired.push('retry'));
    expect(() => clock.advance(1e300)).toThrow('the lab clock cannot move past 9999-12-31T23:59:59.999Z');
    expect(clock.now()).toBe(Date.UTC(9999, 11, 1));
    expect(fired).toEqual([]);
    real.pass(1_000);
    expect(fired).toEqual(['retry']);
  });

  it('refuses a time scale that is not a positive number', () => {
    expect(() => new RunningClock(0, fakeTimers().timers, 0)).toThrow(/positive/);
  });
});
