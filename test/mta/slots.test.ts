import { describe, expect, it } from 'vitest';
import { DeliverySlots } from '../../app/mta/slots.ts';

describe('DeliverySlots (the queue manager\'s concurrency limits)', () => {
  it('lets at most 20 sessions go to one destination; the 21st waits for one to end', async () => {
    const slots = new DeliverySlots();
    const releases = await Promise.all(Array.from({ length: 20 }, () => slots.acquire('intellinet>ntsol.example')));
    let granted = false;
    const next = slots.acquire('intellinet>ntsol.example').then((r) => ((granted = true), r));
    await Promise.resolve();
    expect(granted).toBe(false);
    expect(slots.waiting).toBe(1);
    releases[0]();
    (await next)();
    expect(granted).toBe(true);
    expect(slots.peak).toBe(20);
  });

  it('a full destination does not hold up another one; the total limit holds across destinations', async () => {
    const slots = new DeliverySlots({ perDestination: 2, total: 3 });
    const a = [await slots.acquire('a'), await slots.acquire('a')];
    const order: string[] = [];
    const waitA = slots.acquire('a').then((r) => (order.push('a'), r));
    const b = await slots.acquire('b');
    const waitB = slots.acquire('b').then((r) => (order.push('b'), r));
    expect(slots.active).toBe(3);
    expect(slots.waiting).toBe(2);
    b(); // frees the total: the earliest waiter with room (a's waiter is blocked by a's limit) goes
    await Promise.resolve();
    expect(order).toEqual(['b']);
    a[0]();
    await waitA;
    expect(order).toEqual(['b', 'a']);
    (await waitB)();
  });

  it('back-pressure: whenWaitingBelow resolves once the queue drains below the mark', async () => {
    const slots = new DeliverySlots({ perDestination: 1, total: 1 });
    const first = await slots.acquire('a');
    const second = slots.acquire('a');
    let passed = false;
    const gate = slots.whenWaitingBelow(1, 60_000, () => () => {}).then(() => (passed = true));
    await Promise.resolve();
    expect(passed).toBe(false);
    first();
    await gate;
    expect(passed).toBe(true);
    (await second)();
  });
});
