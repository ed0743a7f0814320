/**
 * Users' mailboxes, kept in the organisation's journal (app/base/journal.ts): one record per message,
 * its summary (what the UI lists) and its bytes. Flushed before the server answers 250.
 */
import type { Workspace } from '../base/store.ts';
import type { Journal, MessageSource } from '../base/journal.ts';
import { headerValues } from './bounce.ts';
import type { MailboxItem } from './mailbox-item.ts';

export type { MailboxItem };

export class Mailboxes {
  #journal: Journal;

  constructor(ws: Workspace, org: string) {
    this.#journal = ws.journal(org);
  }

  /**
   * Store a message (summary and bytes in one record). Durable once `commit()` resolves. `fields`:
   * its From and Subject when the caller has read its header already (a receiving server does).
   */
  store(item: Omit<MailboxItem, 'from' | 'subject' | 'size'>, message: Buffer, counter: number, awaited?: { src?: MessageSource }, fields?: { From?: string; Subject?: string }): MailboxItem {
    const { From: from, Subject: subject } = fields ?? headerValues(message, ['From', 'Subject']);
    const full: MailboxItem = { ...item, user: item.user.toLowerCase(), from: from ?? '', subject: subject ?? '', size: message.length };
    this.#journal.append({ k: 'm', n: counter, item: full, ...(awaited ? { w: 1, src: awaited.src } : {}) }, message);
    return full;
  }

  commit(): Promise<void> {
    return this.#journal.commit();
  }

  /** Users with at least one message. */
  users(): string[] {
    return [...this.#journal.mailboxes.keys()].sort();
  }

  list(user: string): MailboxItem[] {
    const box = this.#journal.mailboxes.get(user.toLowerCase());
    return [...(box?.values() ?? [])].map((m) => m.item as MailboxItem).sort((a, b) => a.receivedAt - b.receivedAt || a.id.localeCompare(b.id));
  }

  read(user: string, id: string): Buffer | undefined {
    const m = this.#journal.mailboxes.get(user.toLowerCase())?.get(id);
    return m && this.#journal.readAt(m.body);
  }
}
