/**
 * The running lab as the UI shows it: one snapshot (topology, security tables, queues, mailbox
 * counts, clock), replaced whole on every refresh. Refreshes triggered by a burst of events
 * collapse into one request at a time plus at most one more.
 */
import type { LabSnapshot, PostcardApi } from '../../app/api/contract.ts';

export class LabState {
  #api: PostcardApi;
  #inFlight = false;
  #again = false;
  snapshot = $state.raw<LabSnapshot | undefined>(undefined);
  error = $state<string | undefined>(undefined);
  /** Queue ids with a retry request on its way. */
  retrying = $state.raw<string[]>([]);

  running = $derived(this.snapshot?.status === 'running');
  queue = $derived((this.snapshot?.orgs ?? []).flatMap((o) => o.queue));

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  async refresh(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    try {
      do {
        this.#again = false;
        this.snapshot = await this.#api.getSnapshot({});
      } while (this.#again);
      this.error = undefined;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.#inFlight = false;
    }
  }

  async retry(org: string, id: string): Promise<void> {
    this.retrying = [...this.retrying, id];
    try {
      const r = await this.#api.retryEntry({ org, id });
      if (!r.retried) this.error = `${id} is ${r.entry.state}; only queued or deferred mail can be retried`;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.retrying = this.retrying.filter((x) => x !== id);
      await this.refresh();
    }
  }
}
