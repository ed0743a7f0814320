import { describe, expect, it } from 'vitest';
import { VirtualClock, parseDuration } from '../../app/base/clock.ts';
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
