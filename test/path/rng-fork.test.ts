/**
 * The seeded stream a path's pipeline draws from (app/base/rng.ts): the lab forks one per
 * connection (`path:<path>:<conn>`, app/lab/lab.ts) and a fork sets up its state on the first draw,
 * so a `pass` pipeline that never draws costs no set-up. A seed must still replay a run
 * (docs/lab.md, "Seeds"): these values were drawn from the generator before forks became lazy.
 */
import { describe, expect, test } from 'vitest';
import { createRng } from '../../app/base/rng.ts';

describe('forked streams', () => {
  test('the same values as the eager generator gave, for a connection and a stage under it', () => {
    const f = createRng(7).fork('path:intellinet-ntsol:c12');
    expect([f.next(), f.int(1000), f.hex(6), f.fork('stage:0:latency').next()]).toEqual([0.6611374681815505, 394, 'f42f830132d6', 0.8919243193231523]);
    const r = createRng(1);
    expect([r.int(100), r.int(100), r.hex(4)]).toEqual([42, 79, 'c6f0eb46']);
  });

  test('a fork does not depend on when it is made or first drawn, nor on its parent\'s draws', () => {
    const parent = createRng(7);
    const early = parent.fork('path:p:c1');
    parent.bytes(64);
    const late = parent.fork('path:p:c1');
    const other = parent.fork('path:p:c2');
    // Interleaved draws: each fork keeps a state of its own.
    const a = [early.next(), other.next(), early.int(50), other.int(50), early.pick(['x', 'y', 'z'])];
    const b = [late.next(), late.int(50), late.pick(['x', 'y', 'z'])];
    expect([a[0], a[2], a[4]]).toEqual(b);
    expect(a[1]).not.toBe(a[0]);
  });
});
