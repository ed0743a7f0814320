/**
 * Users' mailboxes, one folder per user in the workspace: `<id>.eml` plus `<id>.json` (the summary
 * the UI lists). Written atomically before the server answers 250.
 */
import type { Workspace } from '../base/store.ts';
import { headerValue } from './bounce.ts';
import type { MailboxItem } from './mailbox-item.ts';

export type { MailboxItem };

export class Mailboxes {
  #ws: Workspace;
  #org: string;

  constructor(ws: Workspace, org: string) {
    this.#ws = ws;
    this.#org = org;
  }

  #dir(user: string): string {
    return `orgs/${this.#org}/mailboxes/${user.toLowerCase()}`;
  }

  store(item: Omit<MailboxItem, 'from' | 'subject' | 'size'>, message: Buffer): MailboxItem {
    const full: MailboxItem = {
      ...item,
      from: headerValue(message, 'From') ?? '',
      subject: headerValue(message, 'Subject') ?? '',
      size: message.length,
    };
    this.#ws.write(`${this.#dir(item.user)}/${item.id}.eml`, message);
    this.#ws.writeJson(`${this.#dir(item.user)}/${item.id}.json`, full);
    return full;
  }

  list(user: string): MailboxItem[] {
    return this.#ws
      .list(this.#dir(user))
      .filter((f) => f.endsWith('.json'))
      .map((f) => this.#ws.readJson<MailboxItem>(`${this.#dir(user)}/${f}`))
      .filter((x): x is MailboxItem => !!x)
      .sort((a, b) => a.receivedAt - b.receivedAt || a.id.localeCompare(b.id));
  }

  read(user: string, id: string): Buffer | undefined {
    return this.#ws.read(`${this.#dir(user)}/${id}.eml`);
  }
}
