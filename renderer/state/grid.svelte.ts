/**
 * The compatibility grid view's state (docs/grid.md): the axes to choose from, the choice, the
 * cells of the last run as they arrive (`grid.progressed`), and the one cell opened. Runs and
 * cell details come from the engine; nothing is computed here but the table's layout.
 */
import type { GridCellDetail, GridCellView, GridOptionsView, GridRunView, PostcardApi } from '../../app/api/contract.ts';

export class GridState {
  #api: PostcardApi;
  options = $state.raw<GridOptionsView | undefined>(undefined);
  senders = $state<string[]>([]);
  receivers = $state<string[]>([]);
  firewalls = $state<string[]>([]);
  methods = $state<string[]>([]);
  /** A pasted PIX/ASA configuration; when set, it is the only firewall column. */
  config = $state('');
  useConfig = $state(false);
  running = $state(false);
  progress = $state<{ done: number; total: number }>({ done: 0, total: 0 });
  cells = $state.raw<GridCellView[]>([]);
  run = $state.raw<GridRunView | undefined>(undefined);
  opened = $state.raw<GridCellDetail | undefined>(undefined);
  error = $state<string | undefined>(undefined);

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  async load(): Promise<void> {
    if (this.options) return;
    try {
      const o = await this.#api.gridOptions({});
      this.options = o;
      // A first run that finishes in seconds: one sender, one receiver, every firewall and method.
      this.senders = [o.senders[0]];
      this.receivers = [o.receivers[2] ?? o.receivers[0]];
      this.firewalls = o.firewalls.map((f) => f.name);
      this.methods = [...o.methods];
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  get size(): number {
    return this.senders.length * this.receivers.length * (this.useConfig ? 1 : this.firewalls.length) * this.methods.length;
  }

  async start(): Promise<void> {
    if (this.running || this.size === 0) return;
    this.running = true;
    this.error = undefined;
    this.cells = [];
    this.run = undefined;
    this.opened = undefined;
    this.progress = { done: 0, total: this.size };
    try {
      this.run = await this.#api.runGrid({
        senders: this.senders, receivers: this.receivers, firewalls: this.firewalls, methods: this.methods,
        ...(this.useConfig ? { firewallConfig: this.config } : {}),
      } as Parameters<PostcardApi['runGrid']>[0]);
      this.cells = this.run.cells;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.running = false;
    }
  }

  onProgress(done: number, total: number, cell: GridCellView): void {
    if (!this.running) return;
    this.progress = { done, total };
    this.cells = [...this.cells, cell];
  }

  async open(id: string): Promise<void> {
    try {
      this.opened = await this.#api.gridCell({ id });
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  close(): void {
    this.opened = undefined;
  }
}
