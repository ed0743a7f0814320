/** The transcript viewer: one queue entry's attempts, sender's and receiver's views side by side. */
import { friendly } from '../lib/format.ts';
import type { PostcardApi, ResponseOf, SessionTranscriptView } from '../../app/api/contract.ts';

/** One line of one attempt's sender transcript (0-based). */
export interface TranscriptFocus {
  attempt: number;
  line: number;
}

export class TranscriptState {
  #api: PostcardApi;
  target = $state.raw<{ org: string; id: string } | undefined>(undefined);
  /**
   * The line to highlight and scroll to: the one a link named (a bounce's cause, a packet's line),
   * or by default the line that caused the last failed attempt.
   */
  focus = $state.raw<TranscriptFocus | undefined>(undefined);
  data = $state.raw<ResponseOf<'getTranscripts'> | undefined>(undefined);
  /** A session no queue entry sent (typed from outside): the receiving server's transcript of it. */
  session = $state.raw<SessionTranscriptView | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  /** Why a line's packet could not be shown (dropped from the bounded capture). */
  lineError = $state<string | undefined>(undefined);

  /** The entry shown is the tab's default (the last message tried), not one the user chose. */
  #byDefault = false;

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  /** Show a session from outside as its packet's detail gave it, its line highlighted. */
  showSession(session: SessionTranscriptView): void {
    this.#byDefault = false;
    this.target = undefined;
    this.data = undefined;
    this.error = undefined;
    this.lineError = undefined;
    this.session = session;
    this.focus = session.line === undefined ? undefined : { attempt: 0, line: session.line };
  }

  async show(org: string, id: string, focus?: TranscriptFocus, byDefault = false): Promise<void> {
    this.#byDefault = byDefault;
    this.session = undefined;
    this.target = { org, id };
    this.focus = focus;
    this.data = undefined;
    await this.reload();
    // Read again after the await (TypeScript keeps the narrowing from the assignment above).
    const data = this.data as ResponseOf<'getTranscripts'> | undefined;
    if (!focus && this.target?.id === id && data) {
      const failed = data.attempts.findLast((a) => a.causeLine !== undefined);
      const last = data.attempts.at(-1);
      if (failed && failed === last) this.focus = { attempt: failed.index, line: failed.causeLine! };
    }
  }

  /**
   * A tab opening on its default, the last message tried: shown unless the user chose an entry or
   * a session (a queue's Transcript button, a bounce's or a packet's line), which stays until they
   * choose another. A default shown before follows the newer message.
   */
  showIfNone(entry: { org: string; id: string } | undefined): void {
    if (!entry || this.session) return;
    const shown = this.target;
    if (shown && !(this.#byDefault && (shown.org !== entry.org || shown.id !== entry.id))) return;
    void this.show(entry.org, entry.id, undefined, true);
  }

  async reload(): Promise<void> {
    const target = this.target;
    if (!target) return;
    try {
      const data = await this.#api.getTranscripts(target);
      if (this.target === target) this.data = data;
      this.error = undefined;
    } catch (error) {
      this.error = friendly((error as Error).message);
    }
  }

  /** The packet that carried a line (at `point` when the connection crossed it); the line stays highlighted. */
  async packetOf(target: { org: string; id: string }, focus: TranscriptFocus, point?: string): Promise<ResponseOf<'packetOfLine'> | undefined> {
    try {
      const found = await this.#api.packetOfLine({ ...target, ...focus, ...(point ? { point } : {}) });
      this.focus = focus;
      this.lineError = undefined;
      return found;
    } catch (error) {
      this.lineError = friendly((error as Error).message);
      return undefined;
    }
  }

  clear(): void {
    this.session = undefined;
    this.target = undefined;
    this.focus = undefined;
    this.data = undefined;
  }
}
