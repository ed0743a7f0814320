// The queue manager's decision after an attempt (app/mta/queue-policy.ts), as a table: outcome,
// age, attempts so far → delivered, bounce (permanent or expired), or retry at a lab time.
import { describe, expect, it } from 'vitest';
import { decide, queuePolicy, type QueueDecision, type QueueFacts } from '../../app/mta/queue-policy.ts';
import { product } from '../../app/products/index.ts';

const MIN = 60_000, HOUR = 60 * MIN, DAY = 24 * HOUR;
/** Postfix's schedule (app/products/postfix.ts): 5, 10, 20, 40 minutes, then 4000 s; five days. */
const postfix = queuePolicy(product('postfix').queue.lifetimeMs, product('postfix').queue.retryMs);
const T0 = Date.parse('2026-11-28T09:00:00Z');
const tries = (...results: string[]) => results.map((result) => ({ result }));

const rows: [string, QueueFacts, QueueDecision][] = [
  ['delivered on the first attempt', { result: 'delivered', now: T0, arrivedAt: T0, attempts: tries('delivered') }, { action: 'delivered' }],
  ['a 5xx bounces at once, however young', { result: 'bounced', now: T0, arrivedAt: T0, attempts: tries('bounced') }, { action: 'bounce', expired: false }],
  ['a 5xx after the lifetime is still the remote\'s refusal, not an expiry', { result: 'bounced', now: T0 + 6 * DAY, arrivedAt: T0, attempts: tries('deferred', 'bounced') }, { action: 'bounce', expired: false }],
  ['first deferral: the first interval', { result: 'deferred', now: T0, arrivedAt: T0, attempts: tries('deferred') }, { action: 'retry', at: T0 + 5 * MIN }],
  ['second deferral: the second interval', { result: 'deferred', now: T0 + 5 * MIN, arrivedAt: T0, attempts: tries('deferred', 'deferred') }, { action: 'retry', at: T0 + 15 * MIN }],
  ['hops to the next MX are not retries', { result: 'deferred', now: T0, arrivedAt: T0, attempts: tries('next-mx', 'next-mx', 'deferred') }, { action: 'retry', at: T0 + 5 * MIN }],
  ['past the schedule: its last interval for good', { result: 'deferred', now: T0 + DAY, arrivedAt: T0, attempts: tries(...Array(9).fill('deferred')) }, { action: 'retry', at: T0 + DAY + 4000_000 }],
  ['the last retry is pulled in to the lifetime\'s end', { result: 'deferred', now: T0 + 5 * DAY - MIN, arrivedAt: T0, attempts: tries(...Array(9).fill('deferred')) }, { action: 'retry', at: T0 + 5 * DAY }],
  ['deferred at the lifetime\'s end: returned to the sender, expired', { result: 'deferred', now: T0 + 5 * DAY, arrivedAt: T0, attempts: tries('deferred') }, { action: 'bounce', expired: true }],
];

describe('queue decision (Postfix schedule, five-day lifetime)', () => {
  it.each(rows)('%s', (_name, facts, expected) => {
    expect(decide(postfix, facts)).toEqual(expected);
  });
});

describe('queuePolicy', () => {
  it('takes Exchange 5.5\'s table as it is: 10, 10, 10, 15 minutes over two days', () => {
    const ims = queuePolicy(product('exchange-5.5').queue.lifetimeMs, product('exchange-5.5').queue.retryMs);
    const at = (n: number) => (decide(ims, { result: 'deferred', now: T0, arrivedAt: T0, attempts: tries(...Array(n).fill('deferred')) }) as { at: number }).at - T0;
    expect([1, 2, 3, 4, 5].map(at)).toEqual([10 * MIN, 10 * MIN, 10 * MIN, 15 * MIN, 15 * MIN]);
    expect(decide(ims, { result: 'deferred', now: T0 + 2 * DAY, arrivedAt: T0, attempts: tries('deferred') })).toEqual({ action: 'bounce', expired: true });
  });

  it('refuses a schedule that could never retry and a negative lifetime; a lifetime of 0 returns at the first deferral', () => {
    expect(() => queuePolicy(DAY, [])).toThrow('a retry schedule needs one or more positive intervals, not []');
    expect(() => queuePolicy(DAY, [MIN, 0])).toThrow('not [60000, 0]');
    expect(() => queuePolicy(-1, [MIN])).toThrow('a queue lifetime must be 0 or more, not -1 ms');
    expect(() => queuePolicy(Number.NaN, [MIN])).toThrow('not NaN ms');
    expect(decide(queuePolicy(0, [MIN]), { result: 'deferred', now: T0, arrivedAt: T0, attempts: tries('deferred') })).toEqual({ action: 'bounce', expired: true });
  });
});
