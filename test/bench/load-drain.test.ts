import { describe, expect, it } from 'vitest';
import { drained, type DrainingLab } from '../../app/bench/load.ts';
import { Emitter } from '../../app/base/emitter.ts';
import type { LabEvent } from '../../app/lab/events.ts';
import type { QueueEntry } from '../../app/mta/queue.ts';

/** Timers that move only when the test says so. */
function manualTimers() {
  let now = 0;
  let pending: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      const t = { at: now + ms, fn };
      pending.push(t);
      return () => void (pending = pending.filter((p) => p !== t));
    },
    /** Move time forward by `ms`, running what falls due in order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        pending = pending.filter((p) => p !== due);
        now = due.at;
        due.fn();
      }
      now = end;
    },
  };
}

function fakeLab(inFlight: number) {
  const timers = manualTimers();
  const lab = { timers, events: new Emitter<LabEvent>(), inFlight, slots: { waiting: inFlight - 1, active: 1 } };
  const deliverOne = () => {
    lab.inFlight--;
    lab.slots.waiting = Math.max(0, lab.inFlight - 1);
    lab.events.emit({ type: 'mail.delivered', entry: { id: `E${lab.inFlight}` } as QueueEntry });
  };
  return { lab: lab as DrainingLab & typeof lab, timers, deliverOne };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('the load figure waits for a slow queue, and calls only a queue that stopped a stall', () => {
  it('a backlog that takes longer than any fixed limit to drain still settles, none called stalled', async () => {
    const { lab, timers, deliverOne } = fakeLab(40);
    const lines: string[] = [];
    let result: unknown = 'waiting';
    void drained(lab, 300_000, (l) => lines.push(l), () => 40 - lab.inFlight).then((r) => (result = r));
    // One message every 30 s: 40 messages take 20 minutes, twice the old fixed 600 s.
    for (let i = 0; i < 40; i++) {
      timers.advance(30_000);
      deliverOne();
      await flush();
    }
    expect(result).toBeUndefined();
    expect(timers.now()).toBeGreaterThan(600_000);
    expect(lines.some((l) => /draining: \d+ delivered, 1 sessions open, \d+ waiting for a slot/.test(l))).toBe(true);
  });

  it('nothing settled for the stall window while entries are in flight: a stall, with what was waiting', async () => {
    const { lab, timers, deliverOne } = fakeLab(10);
    let result: unknown = 'waiting';
    void drained(lab, 300_000, () => undefined, () => 10 - lab.inFlight).then((r) => (result = r));
    deliverOne();
    timers.advance(299_000);
    await flush();
    expect(result).toBe('waiting');
    timers.advance(2_000);
    await flush();
    expect(result).toEqual({ afterMs: 300_000, waiting: 8, active: 1, inFlight: 9 });
  });
});
