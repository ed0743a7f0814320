/** The transcript viewer: one queue entry's attempts, sender's and receiver's views side by side. */
import { friendly } from '../lib/format.ts';
import type { PostcardApi, ResponseOf } from '../../app/api/contract.ts';

export class TranscriptState {
  #api: PostcardApi;
  target = $state.raw<{ org: string; id: string } | undefined>(undefined);
  data = $state.raw<ResponseOf<'getTranscripts'> | undefined>(undefined);
  error = $state<string | undefined>(undefined);

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  async show(org: string, id: string): Promise<void> {
    this.target = { org, id };
    this.data = undefined;
    await this.reload();
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

  clear(): void {
    this.target = undefined;
    this.data = undefined;
  }
}
