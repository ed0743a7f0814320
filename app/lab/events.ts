/**
 * What a lab tells its front-ends (STYLE.md §7): past tense, typed, and a subscription returns its
 * own unsubscribe. The engine never calls a transport or the UI; they listen here.
 */
import type { QueueEntry } from '../mta/queue.ts';
import type { MailboxItem } from '../mta/mailbox.ts';

export type LabEvent =
  | { type: 'mail.queued'; entry: QueueEntry }
  | { type: 'mail.attempted'; entry: QueueEntry }
  | { type: 'mail.deferred'; entry: QueueEntry }
  | { type: 'mail.delivered'; entry: QueueEntry }
  | { type: 'mail.bounced'; entry: QueueEntry }
  | { type: 'mail.received'; org: string; item: MailboxItem }
  | { type: 'clock.advanced'; now: number }
  | { type: 'lab.changed'; org: string; what: string }
  /** A tapped connection closed: its packets, tear-down included, are in the capture now. */
  | { type: 'capture.changed'; point: string; conn: string };

export class Emitter<E> {
  #listeners = new Set<(event: E) => void>();

  subscribe(fn: (event: E) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  emit(event: E): void {
    for (const fn of this.#listeners) fn(event);
  }
}
