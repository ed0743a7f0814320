/** Mailboxes: which one is open, its messages, and the message being read (with its source). */
import { friendly } from '../lib/format.ts';
import type { MailboxItemView, PostcardApi, ResponseOf } from '../../app/api/contract.ts';

export interface MailboxRef {
  org: string;
  user: string;
}

export class MailState {
  #api: PostcardApi;
  #asked = 0;
  selected = $state.raw<MailboxRef | undefined>(undefined);
  items = $state.raw<MailboxItemView[]>([]);
  message = $state.raw<ResponseOf<'readMessage'> | undefined>(undefined);
  error = $state<string | undefined>(undefined);

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  /**
   * Open a mailbox and, as a mail client's reading pane does, its newest message (the last in the
   * list, which runs oldest first): in a lesson that is the message the story just sent.
   */
  async select(ref: MailboxRef): Promise<void> {
    this.selected = ref;
    this.message = undefined;
    const asked = this.#asked;
    await this.reload();
    const newest = this.items.at(-1);
    // Nothing opened meanwhile (every open moves #asked): a click during the reload wins.
    if (this.selected === ref && newest && this.#asked === asked) await this.open(newest.id);
  }

  /** Open `ref` unless a mailbox is chosen already (a tab opening on its default). */
  selectIfNone(ref: MailboxRef | undefined): void {
    if (ref && !this.selected) void this.select(ref);
  }

  async reload(): Promise<void> {
    const ref = this.selected;
    if (!ref) return;
    try {
      const r = await this.#api.listMailbox(ref);
      if (this.selected === ref) this.items = r.items;
      this.error = undefined;
    } catch (error) {
      this.error = friendly((error as Error).message);
      this.items = [];
    }
  }

  async open(id: string): Promise<void> {
    const ref = this.selected;
    if (!ref) return;
    // The last message asked for wins: a click landing while the newest is still on its way.
    const asked = ++this.#asked;
    try {
      const message = await this.#api.readMessage({ ...ref, id });
      if (asked !== this.#asked || this.selected !== ref) return;
      this.message = message;
      this.error = undefined;
    } catch (error) {
      this.error = friendly((error as Error).message);
    }
  }

  /** New mail arrived somewhere: reload if it is the open mailbox. */
  onReceived(org: string, user: string): void {
    if (this.selected?.org === org && this.selected.user.toLowerCase() === user.toLowerCase()) void this.reload();
  }

  clear(): void {
    this.selected = undefined;
    this.items = [];
    this.message = undefined;
  }
}
