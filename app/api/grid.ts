/**
 * The grid behind the contract's `gridOptions`, `runGrid` and `gridCell` (docs/grid.md): one grid
 * store per API session, holding the last run's results and its per-cell captures (a temporary
 * folder) for the browser's download links. Cells run in this process (no worker processes: a
 * packaged desktop app has no TypeScript loader for them), six at a time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GridCellDetail, GridCellView, GridOptionsView, GridRunView } from './contract.ts';
import { FIREWALLS, SECURITY_METHOD_NAMES, SERVER_PROFILES, type GridAxes } from '../grid/axes.ts';
import type { CellResult } from '../grid/cell.ts';
import { runGrid } from '../grid/run.ts';
import { readVendorConfig } from '../grid/firewall.ts';

export function gridOptions(): GridOptionsView {
  return {
    senders: [...SERVER_PROFILES], receivers: [...SERVER_PROFILES], methods: [...SECURITY_METHOD_NAMES],
    firewalls: FIREWALLS(),
  };
}

export function cellView(r: CellResult): GridCellView {
  return {
    id: r.id, sender: r.cell.sender, receiver: r.cell.receiver, firewall: r.cell.firewall, method: r.cell.method,
    outcome: r.outcome, leaked: r.leaked, protection: r.protection, reason: r.reason,
    expected: { ...r.expected }, agrees: r.agrees, mismatch: r.mismatch, durationMs: r.durationMs,
  };
}

export class GridStore {
  #results = new Map<string, CellResult>();
  #dir?: string;
  #running = false;

  /** Run a grid; `onCell` hears each finished cell. One run at a time per session. */
  async run(axes: GridAxes, firewallConfig: string | undefined, onCell: (cell: GridCellView, done: number, total: number) => void): Promise<GridRunView> {
    if (this.#running) throw new GridBusy('a grid is already running in this session');
    let config: GridRunView['config'];
    let firewall: unknown;
    if (firewallConfig !== undefined) {
      const parsed = readVendorConfig(firewallConfig);
      config = parsed.lines.map((l) => ({ line: l.line, text: l.text, status: l.status, note: l.note }));
      if (parsed.errors.length) throw new GridBadInput(parsed.errors.map((e) => `configuration line ${e.line}: ${e.note}`).join('; '));
      firewall = { config: firewallConfig };
      axes = { ...axes, firewalls: ['config'] };
    }
    this.#running = true;
    this.dispose();
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-grid-ui-'));
    try {
      const { results, summary } = await runGrid({
        axes, jobs: 0, concurrency: 6, exportDir: this.#dir, firewall,
        onResult: (r, done, total) => onCell(cellView(r), done, total),
      });
      for (const r of results) this.#results.set(r.id, r);
      return { cells: results.map(cellView), summary, ...(config ? { config } : {}) };
    } finally {
      this.#running = false;
    }
  }

  cell(id: string, captureUrl?: (file: string) => string): GridCellDetail | undefined {
    const r = this.#results.get(id);
    if (!r) return undefined;
    return { ...cellView(r), transcript: r.transcript, receiverTranscript: r.receiverTranscript, ...(r.pcap && captureUrl ? { capture: captureUrl(r.pcap) } : {}) };
  }

  /** The pcapng of a cell of the last run, for the browser's download. */
  capture(file: string): Buffer | undefined {
    if (!this.#dir || !/^[A-Za-z0-9._-]+\.pcapng$/.test(file)) return undefined;
    const full = path.join(this.#dir, file);
    return fs.existsSync(full) ? fs.readFileSync(full) : undefined;
  }

  dispose(): void {
    this.#results.clear();
    if (this.#dir) fs.rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

export class GridBusy extends Error {}
export class GridBadInput extends Error {}

const stores = new WeakMap<object, GridStore>();
/** The grid store of an API session (created on first use). */
export function gridStoreOf(session: object): GridStore {
  let s = stores.get(session);
  if (!s) stores.set(session, (s = new GridStore()));
  return s;
}
