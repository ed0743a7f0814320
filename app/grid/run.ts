/**
 * `runGrid`: the compatibility grid as one call (docs/grid.md) — the CLI, the bench and the app's
 * Grid view all come through here. Cells run in parallel (pool.ts); certificates are issued once
 * into a cache every cell shares, RSA keys come from the package-wide key cache.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gridCells, shardCells, type GridAxes } from './axes.ts';
import { runCells } from './pool.ts';
import { summarize, type GridSummary } from './report.ts';
import type { CellResult } from './cell.ts';

export interface GridOptions {
  axes: GridAxes;
  shard?: { index: number; count: number };
  seed?: number;
  /** Session timeout per cell lab (default 2s: a never-ending greeting costs this much). */
  timeout?: string;
  /** Worker processes (0: in this process). */
  jobs: number;
  /** Cells in flight per worker. */
  concurrency?: number;
  exportDir?: string;
  /** A firewall spec used instead of each cell's profile (an imported vendor configuration). */
  firewall?: unknown;
  onResult?(result: CellResult, done: number, total: number): void;
}

export interface GridRun {
  results: CellResult[];
  summary: GridSummary;
}

/**
 * A cell's lab writes (and fsyncs) its queue files several times per message; on Linux the grid
 * keeps these throw-away workspaces in /dev/shm when it is writable (docs/grid.md).
 */
export function scratchDir(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export async function runGrid(o: GridOptions): Promise<GridRun> {
  const cells = shardCells(gridCells(o.axes), o.shard);
  // The export folder first: when it cannot be made, no certificate cache is left behind.
  if (o.exportDir) fs.mkdirSync(o.exportDir, { recursive: true });
  const certCache = fs.mkdtempSync(path.join(scratchDir(), 'postcard-grid-certs-'));
  const started = performance.now();
  let done = 0;
  try {
    const results = await runCells(cells, {
      jobs: o.jobs, concurrency: o.concurrency ?? 6, seed: o.seed ?? 1, timeout: o.timeout ?? '2s', certCache, scratch: scratchDir(),
      exportDir: o.exportDir && path.resolve(o.exportDir), firewall: o.firewall,
      onResult: (r) => o.onResult?.(r, ++done, cells.length),
    });
    return { results, summary: summarize(results, performance.now() - started) };
  } finally {
    fs.rmSync(certCache, { recursive: true, force: true });
  }
}
