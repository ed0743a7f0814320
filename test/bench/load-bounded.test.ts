/** `load`'s `bounded` (app/bench/load.ts `boundedGrowth`): memory that stops growing, told from memory that grows per message. */
import { describe, expect, it } from 'vitest';
import { boundedGrowth } from '../../app/bench/load.ts';

describe("load's bounded memory", () => {
  it('calls a store that grows with the message count unbounded, however large the RSS it started from', () => {
    // 60 KB a message over 10,000 messages: each half adds about 300 MB.
    expect(boundedGrowth(160, 460, 760)).toBe(false);
    // A slower leak on a large base: 8 % over the RSS at half, still as much in each half.
    expect(boundedGrowth(600, 660, 720)).toBe(false);
  });

  it('calls memory bounded when the second half added at most half what the first did', () => {
    // Full runs on the project's 2-core machine (2026-12-07): live memory flat at 290-300 MB, the
    // RSS still climbing towards V8's heap size for that allocation rate past halfway.
    expect(boundedGrowth(158.82, 822.27, 892.76)).toBe(true);
    expect(boundedGrowth(155.63, 668.02, 888.02)).toBe(true);
    // An RSS that fell in the second half (a slower run, the heap sized down) is bounded too.
    expect(boundedGrowth(157, 799, 621)).toBe(true);
    // Exactly half counts as bounded; a little more does not.
    expect(boundedGrowth(100, 300, 400)).toBe(true);
    expect(boundedGrowth(100, 300, 401)).toBe(false);
  });

  it('says nothing is bounded when the first half added nothing and the second did (a run too short to fill anything)', () => {
    expect(boundedGrowth(200, 200, 230)).toBe(false);
    expect(boundedGrowth(200, 190, 190)).toBe(true);
  });
});
