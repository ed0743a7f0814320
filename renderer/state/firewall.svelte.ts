/**
 * The firewall's view and the servers' logs: which firewall path and which organisation are on
 * screen, and the engine's last answer for each (getFirewall, getServerLog), refreshed on lab events
 * while visible.
 */
import type { FirewallViewDto, PostcardApi, ServerLogView } from '../../app/api/contract.ts';
import { LiveView } from './live.svelte.ts';

export class FirewallState extends LiveView {
  #api: PostcardApi;
  path = $state<string | undefined>(undefined);
  view = $state.raw<FirewallViewDto | undefined>(undefined);

  constructor(api: PostcardApi) {
    super();
    this.#api = api;
  }

  show(path: string): void {
    this.path = path;
    void this.refresh();
  }

  protected async load(): Promise<void> {
    if (!this.path) {
      this.view = undefined;
      return;
    }
    this.view = await this.#api.getFirewall({ path: this.path });
  }

  clear(): void {
    this.path = undefined;
    this.view = undefined;
    this.error = undefined;
  }
}

export class LogsState extends LiveView {
  #api: PostcardApi;
  org = $state<string | undefined>(undefined);
  profile = $state<string | undefined>(undefined);
  logs = $state.raw<ServerLogView[]>([]);
  /** What the lab's memory bounds let go, in words (docs/decisions.md, "Bounded memory"). */
  retention = $state<string | undefined>(undefined);

  constructor(api: PostcardApi) {
    super();
    this.#api = api;
  }

  show(org: string): void {
    this.org = org;
    void this.refresh();
  }

  protected async load(): Promise<void> {
    if (!this.org) {
      this.logs = [];
      return;
    }
    const r = await this.#api.getServerLog({ org: this.org });
    this.profile = r.profile;
    this.logs = r.logs;
    this.retention = r.retention;
  }

  clear(): void {
    this.org = undefined;
    this.profile = undefined;
    this.logs = [];
    this.retention = undefined;
    this.error = undefined;
  }
}
