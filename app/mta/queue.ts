/**
 * A server's outbound queue (docs/lab.md, "Queue, retries and key strength"). Entries live in
 * the organisation's journal (app/base/journal.ts): the message and its entry in one record, flushed
 * before the `250` that accepted them. After a kill and restart, every entry that was queued,
 * deferred or in flight is queued again: nothing accepted is lost (a message may be sent twice if
 * the process died between the remote 250 and our record of it — SMTP's at-least-once, RFC 5321 §6.1).
 */
import type { Workspace } from '../base/store.ts';
import type { Journal, MessageSource, Unacknowledged } from '../base/journal.ts';
import type { TranscriptLine, TlsInfo } from './outbound/client.ts';

export type QueueState = 'queued' | 'in-flight' | 'deferred' | 'delivered' | 'bounced';

export interface Attempt {
  /** Lab time the attempt started. */
  at: number;
  host?: string;
  conn?: string;
  result: 'delivered' | 'deferred' | 'bounced' | 'next-mx';
  reason?: string;
  /** The remote reply that decided it, e.g. `535 5.7.8 Authentication credentials invalid`. */
  diagnostic?: string;
  status?: string;
  tls?: Omit<TlsInfo, 'peerChainDer'>;
  sealed?: boolean;
  keyBits?: number;
  downgraded?: string;
  transcript: TranscriptLine[];
  /**
   * Lines of `transcript` no longer kept in memory: a finished entry keeps its transcript only
   * while it is among its server's newest finished entries (docs/decisions.md, "Bounded memory").
   */
  transcriptDropped?: number;
  /** The transcript line that caused a failed attempt (SessionResult.causeLine). */
  causeLine?: number;
}

export interface QueueEntry {
  id: string;
  org: string;
  from: string;
  to: string[];
  /** The recipient domain this entry delivers to (one entry per domain). */
  domain: string;
  /** The scenario's message id (`m1`), when the message came from a `send` step. */
  ref?: string;
  state: QueueState;
  arrivedAt: number;
  /**
   * Octets of the message as queued (what RFC 1870's SIZE counts), kept after the bytes go: the
   * server logs and `postcard-lab queue --all` still say how large a delivered message was.
   * Absent in entries written before it was kept.
   */
  size?: number;
  /** Its Subject and Message-ID fields, kept for the same logs (Exchange's message tracking names both). */
  subject?: string;
  messageId?: string;
  nextAttemptAt?: number;
  lastError?: string;
  attempts: Attempt[];
  /** Recipients refused permanently while others were delivered. */
  refused?: { address: string; diagnostic: string; status: string }[];
  bounceId?: string;
  requireTls?: boolean;
}

export class QueueStore {
  #journal: Journal;
  /**
   * How many attempts of each unfinished entry the journal holds: the next record of that entry
   * carries only the attempts after them (a `u` record), so a message retried for days writes each
   * attempt once, not every earlier one again with each retry.
   */
  readonly #recorded = new Map<string, number>();

  constructor(ws: Workspace, org: string) {
    this.#journal = ws.journal(org);
    for (const [id, { entry }] of this.#journal.entries) if (!isDone(entry as QueueEntry)) this.#recorded.set(id, entry.attempts.length);
  }

  /** The highest id counter the store has seen (ids are never reused after a restart). */
  get counter(): number {
    return this.#journal.counter;
  }

  /** Record a queued message (entry and bytes in one record). Durable once `commit()` resolves. */
  add(entry: QueueEntry, message: Buffer, counter: number, awaited?: { src?: MessageSource }): void {
    this.#journal.append({ k: 'q', n: counter, entry, ...(awaited ? { w: 1, src: awaited.src } : {}) }, message);
    this.#recorded.set(entry.id, entry.attempts.length);
  }

  /** The entry's state as last recorded (recovery compares a receiver's copy with it). */
  storedState(id: string): QueueEntry['state'] | undefined {
    return (this.#journal.entries.get(id)?.entry as QueueEntry | undefined)?.state;
  }

  /** Copies (queued or in a mailbox) stored for an SMTP client that never got its 250. */
  unacknowledged(): Unacknowledged[] {
    return this.#journal.unacknowledged;
  }

  acknowledgedSources(): MessageSource[] {
    return this.#journal.acknowledged;
  }

  discard(u: Unacknowledged): void {
    this.#journal.discard(u);
  }

  /** Record an entry's new state. Outcomes of deliveries ride on the next flush (see `accepted`). */
  save(entry: QueueEntry, counter: number): void {
    const from = this.#recorded.get(entry.id);
    if (from === undefined || from > entry.attempts.length) {
      this.#journal.append({ k: 'e', n: counter, entry });
    } else {
      this.#journal.append({
        k: 'u', n: counter, id: entry.id, from, attempts: entry.attempts.slice(from),
        set: { state: entry.state, nextAttemptAt: entry.nextAttemptAt ?? null, lastError: entry.lastError ?? null, refused: entry.refused ?? null, bounceId: entry.bounceId ?? null },
      });
    }
    if (isDone(entry)) this.#recorded.delete(entry.id);
    else this.#recorded.set(entry.id, entry.attempts.length);
    this.#journal.commitLazily();
  }

  /**
   * The remote server answered the final `250` after DATA (RFC 5321 §4.1.1.4): from here the
   * message is its responsibility. Recorded at once, before QUIT, so a kill after this point does
   * not send it again; a kill between the remote `250` and this record's flush still can (SMTP is
   * at-least-once, RFC 5321 §6.1).
   */
  accepted(id: string, at: number, counter: number): void {
    if (this.#journal.closed) return;
    this.#journal.append({ k: 'a', n: counter, id, at });
    this.#journal.commitLazily();
  }

  commit(): Promise<void> {
    return this.#journal.commit();
  }

  /** The journal still holds this entry's message (it is not finished, nor discarded). */
  holds(id: string): boolean {
    return this.#journal.entries.get(id)?.body !== undefined;
  }

  message(id: string): Buffer | undefined {
    const body = this.#journal.entries.get(id)?.body;
    return body && this.#journal.readAt(body);
  }

  /** Entries still to deliver, as left by a previous process. */
  pending(): QueueEntry[] {
    return [...this.#journal.entries.values()].map((e) => e.body && (e.entry as QueueEntry)).filter((e): e is QueueEntry => !!e && !isDone(e));
  }

  finished(): QueueEntry[] {
    return [...this.#journal.entries.values()].map((e) => e.entry as QueueEntry).filter(isDone);
  }
}

export function isDone(entry: QueueEntry): boolean {
  return entry.state === 'delivered' || entry.state === 'bounced';
}
