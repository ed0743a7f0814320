/**
 * Running many cells within the machine's limits: `jobs` worker processes (one per core by
 * default, at most 2 here), each with `concurrency` cells in flight. `jobs: 0` runs in this
 * process (tests, and the app's small grids).
 *
 *   parent ── cell ──► worker 1 (≤ concurrency labs at once) ── result ──► parent ──► onResult
 *          ── cell ──► worker 2 …
 */
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { forkTypeScript } from '../base/fork.ts';
import { runCell, type CellOptions, type CellResult } from './cell.ts';
import type { GridCell } from './axes.ts';

export interface PoolOptions extends CellOptions {
  jobs: number;
  concurrency: number;
  /** A firewall spec that replaces each cell's profile (`--firewall-config`). */
  firewall?: unknown;
  onResult?(result: CellResult): void;
}

export const defaultJobs = (): number => Math.max(1, Math.min(2, os.availableParallelism()));

/**
 * At most one worker process per core (two on a single core): more only compete for the same
 * cores, each a Node process with labs of its own.
 */
export const maxJobs = (): number => Math.max(2, os.availableParallelism());

/**
 * At most this many cells in flight per worker: a cell is a lab of its own (two mail servers, a
 * path relay, several listeners), and a thousand at once would exhaust ports and file descriptors
 * long before it ran faster; six keep a core busy (docs/grid.md).
 */
export const MAX_CONCURRENCY = 32;

async function inProcess(cells: GridCell[], o: PoolOptions): Promise<CellResult[]> {
  const results: CellResult[] = [];
  let next = 0;
  const lane = async () => {
    while (next < cells.length) {
      const cell = cells[next++];
      const r = await runCell(cell, o, o.firewall);
      results.push(r);
      o.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
  return results;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

function inWorkers(cells: GridCell[], o: PoolOptions, entry = WORKER): Promise<CellResult[]> {
  const { onResult, jobs, concurrency, firewall, ...cellOptions } = o;
  const results: CellResult[] = [];
  let next = 0;
  const workers: ChildProcess[] = [];
  return new Promise((resolve, reject) => {
    let failed = false;
    const finish = (error?: Error) => {
      for (const w of workers) if (w.connected) w.send({ type: 'stop' });
      if (error) {
        if (!failed) reject(error);
        failed = true;
      } else resolve(results);
    };
    const feed = (w: ChildProcess) => {
      if (next < cells.length) w.send({ type: 'run', cell: cells[next++], options: cellOptions, firewall });
    };
    for (let j = 0; j < Math.min(jobs, cells.length); j++) {
      const w = forkTypeScript(entry, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      workers.push(w);
      let crashed = '';
      w.on('message', (m: { type: string; result?: CellResult; index?: number; error?: string }) => {
        if (m.type === 'crashed') crashed = `: ${m.error}`;
        if (m.type === 'ready') for (let k = 0; k < concurrency; k++) feed(w);
        if (m.type === 'failed') finish(new Error(`grid cell ${m.index}: ${m.error}`));
        if (m.type === 'result' && m.result) {
          results.push(m.result);
          onResult?.(m.result);
          if (results.length === cells.length) finish();
          else feed(w);
        }
      });
      w.on('exit', (code) => {
        if (results.length < cells.length && !failed) finish(new Error(`a grid worker exited (code ${code}) with ${cells.length - results.length} of ${cells.length} cells left${crashed}`));
      });
    }
    if (cells.length === 0) resolve(results);
  });
}

/**
 * Run the cells; results come back sorted by cell index. `workerEntry` replaces worker.ts (tests: a
 * worker that crashes).
 */
export async function runCells(cells: GridCell[], o: PoolOptions, workerEntry?: string): Promise<CellResult[]> {
  const results = o.jobs <= 0 ? await inProcess(cells, o) : await inWorkers(cells, o, workerEntry);
  return results.sort((a, b) => a.cell.index - b.cell.index);
}
