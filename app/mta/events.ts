/**
 * What a mail server reports as mail moves (past tense, typed). The lab forwards these to its
 * front-ends as part of `LabEvent` (app/lab/events.ts).
 */
import type { QueueEntry } from './queue.ts';
import type { MailboxItem } from './mailbox.ts';

export type MailEvent =
  | { type: 'mail.queued'; entry: QueueEntry }
  | { type: 'mail.attempted'; entry: QueueEntry }
  | { type: 'mail.deferred'; entry: QueueEntry }
  | { type: 'mail.delivered'; entry: QueueEntry }
  | { type: 'mail.bounced'; entry: QueueEntry }
  | { type: 'mail.received'; org: string; item: MailboxItem };
