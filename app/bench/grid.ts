/**
 * The grid round of `bench` (docs/bench.md, docs/grid.md): the default compatibility grid — or a
 * 48-cell slice of it in `--quick` — run as `postcard-lab grid` runs it, reported as cells per
 * second with the number of cells that agreed with their expectation.
 */
import { defaultAxes } from '../grid/axes.ts';
import { defaultJobs } from '../grid/pool.ts';
import { runGrid } from '../grid/run.ts';

export interface GridBench {
  cells: number;
  agree: number;
  seconds: number;
  cellsPerSecond: number;
  jobs: number;
}

export async function benchGrid(size: 'default' | 'slice', progress: (line: string) => void): Promise<GridBench> {
  const axes = defaultAxes();
  if (size === 'slice') Object.assign(axes, { senders: axes.senders.slice(0, 1), receivers: axes.receivers.slice(0, 1) });
  const jobs = defaultJobs();
  progress(`grid: ${axes.senders.length * axes.receivers.length * axes.firewalls.length * axes.methods.length} cells, ${jobs} workers`);
  const { summary } = await runGrid({ axes, jobs });
  return { cells: summary.cells, agree: summary.agree, seconds: summary.durationMs / 1000, cellsPerSecond: summary.cellsPerSecond, jobs };
}
