/**
 * The firewall's view and the servers' logs: which firewall path and which organisation are on
 * screen, and the engine's last answer for each (getFirewall, getServerLog), refreshed on lab events
 * while visible.
 */
import type { FirewallViewDto, PostcardApi, ServerLogView } from '../../app/api/contract.ts';
import { coalesce } from '../lib/coalesce.ts';

export class FirewallState {
  #api: PostcardApi;
  #active = false;
  path = $state<string | undefined>(undefined);
  view = $state.raw<FirewallViewDto | undefined>(undefined);
  error = $state<string | undefined>(undefined);

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  activate(): () => void {
    this.#active = true;
    void this.refresh();
    return () => {
      this.#active = false;
    };
  }

  show(path: string): void {
    this.path = path;
    void this.refresh();
  }

  onLabEvent(): void {
    if (this.#active) void this.refresh();
  }

  refresh(): Promise<void> {
    return this.#refresh();
  }

  #refresh = coalesce(async () => {
    if (!this.path) {
      this.view = undefined;
      return;
    }
    this.view = await this.#api.getFirewall({ path: this.path });
  }, (error) => (this.error = error));

  clear(): void {
    this.path = undefined;
    this.view = undefined;
    this.error = undefined;
  }
}

export class LogsState {
  #api: PostcardApi;
  #active = false;
  org = $state<string | undefined>(undefined);
  profile = $state<string | undefined>(undefined);
  logs = $state.raw<ServerLogView[]>([]);
  /** What the lab's memory bounds let go, in words (docs/decisions.md, "Bounded memory"). */
  retention = $state<string | undefined>(undefined);
  error = $state<string | undefined>(undefined);

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  activate(): () => void {
    this.#active = true;
    void this.refresh();
    return () => {
      this.#active = false;
    };
  }

  show(org: string): void {
    this.org = org;
    void this.refresh();
  }

  onLabEvent(): void {
    if (this.#active) void this.refresh();
  }

  refresh(): Promise<void> {
    return this.#refresh();
  }

  #refresh = coalesce(async () => {
    if (!this.org) {
      this.logs = [];
      return;
    }
    const r = await this.#api.getServerLog({ org: this.org });
    this.profile = r.profile;
    this.logs = r.logs;
    this.retention = r.retention;
  }, (error) => (this.error = error));

  clear(): void {
    this.org = undefined;
    this.profile = undefined;
    this.logs = [];
    this.retention = undefined;
    this.error = undefined;
  }
}
