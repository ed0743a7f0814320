/**
 * The running lab as the UI shows it: one snapshot (topology, security tables, queues, mailbox
 * counts, clock), replaced whole on every refresh. Refreshes triggered by a burst of events
 * collapse into one request at a time plus at most one more.
 *
 * The learner's changes (security table, partner accounts) go through the contract's
 * `applyAction` and `saveSecurity`; a refusal comes back to the form that asked, not to the
 * page-wide alert, so the error stands next to the fields it is about.
 */
import type { LabActionRequest, LabSnapshot, PostcardApi, SaveSecurityRequest, SendRequest } from '../../app/api/contract.ts';
import { coalesce } from '../lib/coalesce.ts';
import { friendly, type FieldLabels } from '../lib/format.ts';

/** What a form hears back: nothing on success (perhaps a note), or the engine's refusal. */
export interface ChangeOutcome {
  error?: string;
  note?: string;
}

export class LabState {
  #api: PostcardApi;
  snapshot = $state.raw<LabSnapshot | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  /** Queue ids with a retry request on its way. */
  retrying = $state.raw<string[]>([]);

  /** The lab is gone for good (a classroom seat the trainer freed): not running, and never asked again. */
  closed = $state(false);

  running = $derived(!this.closed && this.snapshot?.status === 'running');
  queue = $derived((this.snapshot?.orgs ?? []).flatMap((o) => o.queue));

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  /**
   * One lab change, as a scenario's `action` step would make it. `labels` are the asking form's
   * names for the action's keys, so a refusal names the field the user sees (`friendly`).
   */
  async act(action: LabActionRequest, labels?: FieldLabels): Promise<ChangeOutcome> {
    return this.#change(async () => (await this.#api.applyAction(action)).snapshot, labels);
  }

  /** A security dialog's OK: the engine translates the profile's words into the lab's entry. */
  async saveSecurity(request: SaveSecurityRequest, labels?: FieldLabels): Promise<ChangeOutcome> {
    let note: string | undefined;
    const outcome = await this.#change(async () => {
      const r = await this.#api.saveSecurity(request);
      note = r.note;
      return r.snapshot;
    }, labels);
    return outcome.error ? outcome : { note };
  }

  /**
   * Rehearsal: send a message by hand, as a scenario's `send` step does. Its id is `hand-N`, the
   * first N the lab has not used (the engine refuses a used id, and says so).
   */
  async send(message: Omit<SendRequest, 'id'>): Promise<ChangeOutcome> {
    for (let tries = 0; tries < 50; tries++) {
      const id = `hand-${++this.#sent}`;
      try {
        const r = await this.#api.sendMessage({ ...message, id });
        await this.refresh();
        return { note: `Message ${r.ref} queued at ${r.org} (${r.entryIds.join(', ')}).` };
      } catch (error) {
        const text = (error as Error).message;
        if (!text.includes('is used twice')) return { error: friendly(text) };
      }
    }
    return { error: 'could not find a free message id' };
  }

  /** Rehearsal: the lab clock moves forward; due retries run and lifetimes end, as on a real server. */
  async advance(by: string, labels?: FieldLabels): Promise<ChangeOutcome> {
    return this.#change(async () => (await this.#api.advanceClock({ by })).snapshot, labels);
  }

  #sent = 0;

  async #change(fn: () => Promise<LabSnapshot>, labels?: FieldLabels): Promise<ChangeOutcome> {
    try {
      this.snapshot = await fn();
      return {};
    } catch (error) {
      return { error: friendly((error as Error).message, labels, this.snapshot?.orgs.map((o) => o.id)) };
    }
  }

  /** A burst of events collapses into one request in flight plus at most one more. */
  refresh(): Promise<void> {
    return this.closed ? Promise.resolve() : this.#refresh();
  }

  #refresh = coalesce(async () => {
    this.snapshot = await this.#api.getSnapshot({});
  }, (error) => (this.error = error));

  async retry(org: string, id: string): Promise<void> {
    this.retrying = [...this.retrying, id];
    try {
      const r = await this.#api.retryEntry({ org, id });
      if (!r.retried) this.error = `${id} is ${r.entry.state}; only queued or deferred mail can be retried`;
    } catch (error) {
      this.error = friendly((error as Error).message);
    } finally {
      this.retrying = this.retrying.filter((x) => x !== id);
      await this.refresh();
    }
  }
}
