/** Read a lab workspace the way `postcard-lab queue` does: its journals, opened read-only. */
import path from 'node:path';
import { Journal } from '../../app/base/journal.ts';
import { isDone, type QueueEntry } from '../../app/mta/queue.ts';

function withJournal<T>(root: string, org: string, fn: (j: Journal) => T): T {
  const journal = new Journal(path.join(root, 'orgs', org, 'journal.log'), { readOnly: true });
  try {
    return fn(journal);
  } finally {
    void journal.close();
  }
}

/** The messages in a user's mailbox, as text, in the order they arrived. */
export function mailboxMessages(root: string, org: string, user: string): string[] {
  return withJournal(root, org, (j) => [...(j.mailboxes.get(user)?.values() ?? [])].map((m) => j.readAt(m.body).toString('utf8')));
}

/** Queue entries not yet delivered or bounced. */
export function pendingEntries(root: string, org: string): QueueEntry[] {
  return pendingMessages(root, org).map((m) => m.entry);
}

/** Every queue entry, finished or not. */
export function allEntries(root: string, org: string): QueueEntry[] {
  return withJournal(root, org, (j) => [...j.entries.values()].map((e) => e.entry as QueueEntry));
}

/** Queue entries not yet delivered or bounced, each with its message text (its copy is kept until then). */
export function pendingMessages(root: string, org: string): { entry: QueueEntry; text: string }[] {
  return withJournal(root, org, (j) => [...j.entries.values()]
    .filter((e) => !isDone(e.entry as QueueEntry))
    .map((e) => ({ entry: e.entry as QueueEntry, text: e.body ? j.readAt(e.body).toString('utf8') : '' })));
}
