/**
 * The queue manager's decision after an attempt, sans-IO: what becomes of a queue entry given the
 * attempt's outcome, the entry's age and its attempts so far, under the sender's retry schedule
 * and queue lifetime (the product's, app/products/, or the organisation's `queue:` settings).
 *
 *   outcome ─► delivered ──────────────────────────────► delivered
 *           ─► bounced (a 5xx, RFC 5321 §4.2.1) ─────────► bounce (permanent)
 *           ─► deferred / next-mx ─► lifetime over? ─yes─► bounce (expired, RFC 5321 §4.5.4.1)
 *                                                   └no──► retry at now + the schedule's next
 *                                                          interval, never after the lifetime
 *
 * The n-th retry waits the schedule's n-th interval, then its last one for good (Postfix's backoff
 * and Exchange's retry table both end on a fixed interval; docs/products.md). An attempt that only
 * moved on to the next MX host is not a retry of its own. app/mta/server.ts carries the decision out.
 */

export interface QueuePolicy {
  /** How long an entry may stay queued before it is returned to its sender, ms (0: at the first deferral). */
  lifetimeMs: number;
  /** Waits between attempts, ms: the n-th retry waits the n-th, then the last one. Never empty. */
  retryMs: readonly number[];
}

export type QueueDecision =
  | { action: 'delivered' }
  /** `expired`: the lifetime ran out (the reason is local); otherwise the remote refused for good. */
  | { action: 'bounce'; expired: boolean }
  | { action: 'retry'; at: number };

export interface QueueFacts {
  /** The attempt's result for the entry as a whole. */
  result: 'delivered' | 'deferred' | 'bounced';
  /** Lab time now, ms. */
  now: number;
  /** Lab time the entry was queued, ms. */
  arrivedAt: number;
  /** Every attempt of the entry so far, this one included (`next-mx` ones are hops, not retries). */
  attempts: readonly { result: string }[];
}

/** A policy from a schedule and a lifetime; fails on one that could not schedule a retry. */
export function queuePolicy(lifetimeMs: number, retryMs: readonly number[]): QueuePolicy {
  // A lifetime of 0 is a choice (return at the first deferral); a negative or unreadable one is not.
  if (!(lifetimeMs >= 0)) throw new Error(`a queue lifetime must be 0 or more, not ${lifetimeMs} ms`);
  if (retryMs.length === 0 || retryMs.some((r) => !(r > 0))) throw new Error(`a retry schedule needs one or more positive intervals, not [${retryMs.join(', ')}]`);
  return { lifetimeMs, retryMs: [...retryMs] };
}

export function decide(policy: QueuePolicy, facts: QueueFacts): QueueDecision {
  if (facts.result === 'delivered') return { action: 'delivered' };
  if (facts.result === 'bounced') return { action: 'bounce', expired: false };
  const expires = facts.arrivedAt + policy.lifetimeMs;
  if (facts.now >= expires) return { action: 'bounce', expired: true };
  const retries = facts.attempts.filter((a) => a.result !== 'next-mx').length;
  const wait = policy.retryMs[Math.min(Math.max(retries - 1, 0), policy.retryMs.length - 1)];
  return { action: 'retry', at: Math.min(facts.now + Math.max(wait, 1), expires) };
}
