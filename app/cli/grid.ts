/**
 * `postcard-lab grid [--senders a,b] [--receivers a,b] [--firewalls a,b] [--methods a,b]
 * [--firewall-config FILE] [--shard I/N] [--jobs N] [--concurrency N] [--seed N] [--timeout D]
 * [--csv F] [--json F] [--html F] [--export DIR]`: one message across every combination (docs/grid.md).
 * A progress bar on stderr; one line per cell that disagrees with its expectation; exit 1 when any does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultAxes, FIREWALL_NAMES, SECURITY_METHOD_NAMES, SERVER_PROFILES, type GridAxes } from '../grid/axes.ts';
import { runGrid } from '../grid/run.ts';
import { defaultJobs, MAX_CONCURRENCY, maxJobs } from '../grid/pool.ts';
import { gridCsv, gridHtml, gridJson } from '../grid/report.ts';
import { checkDuration, TIMEOUT_DURATION } from '../base/clock.ts';
import { intFlag, parseArgs, shardFlag, stringFlag, UsageError, type Parsed } from './args.ts';
import { EXIT, processIo, type CliIo } from './io.ts';
import { readFirewallConfig } from './firewall-config.ts';
import { makeFolders, outputFile, outputFolder } from './paths.ts';

function listFlag<T extends string>(args: Parsed, name: string, known: readonly T[], all: T[]): T[] {
  const v = stringFlag(args, name);
  if (v === undefined) return all;
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  for (const item of items) if (!known.includes(item as T)) throw new UsageError(`--${name}: unknown ${JSON.stringify(item)} (known: ${known.join(', ')})`);
  if (items.length === 0) throw new UsageError(`--${name} needs at least one name`);
  return items as T[];
}

/** `[#####.....] 96/768 cells 12.3/s` — redrawn in place on a terminal, every 5% otherwise. */
export function progressBar(done: number, total: number, perSecond: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} cells ${perSecond.toFixed(1)}/s`;
}

function write(file: string, text: string): void {
  makeFolders(path.dirname(path.resolve(file)));
  fs.writeFileSync(file, text);
}

export async function gridCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    senders: { type: 'value' }, receivers: { type: 'value' }, firewalls: { type: 'value' }, methods: { type: 'value' },
    'firewall-config': { type: 'value' }, shard: { type: 'value' }, jobs: { type: 'value' }, concurrency: { type: 'value' },
    seed: { type: 'value' }, timeout: { type: 'value' }, csv: { type: 'value' }, json: { type: 'value' }, html: { type: 'value' }, export: { type: 'value' },
  });
  if (args.positional.length > 0) throw new UsageError(`grid takes no file arguments (got ${args.positional.join(' ')})`);
  const d = defaultAxes();
  const configFile = stringFlag(args, 'firewall-config');
  const imported = configFile ? readFirewallConfig(configFile, io) : undefined;
  const axes: GridAxes = {
    senders: listFlag(args, 'senders', SERVER_PROFILES, d.senders),
    receivers: listFlag(args, 'receivers', SERVER_PROFILES, d.receivers),
    firewalls: imported ? [`config:${path.basename(configFile!)}`] : listFlag(args, 'firewalls', FIREWALL_NAMES, d.firewalls),
    methods: listFlag(args, 'methods', SECURITY_METHOD_NAMES, d.methods),
  };
  const timeout = stringFlag(args, 'timeout');
  // A cell lab's socket timeout: real time, so within what a Node timer holds (docs/scenario-format.md, "Durations").
  const timeoutChecked = timeout === undefined ? undefined : checkDuration(timeout, TIMEOUT_DURATION);
  if (timeoutChecked && !timeoutChecked.ok) {
    throw new UsageError(`--timeout takes a duration such as 2s: ${timeoutChecked.message.replace(/^expected a duration.*$/, `not ${JSON.stringify(timeout)}`)}`);
  }
  const jobs = intFlag(args, 'jobs') ?? defaultJobs();
  const concurrency = intFlag(args, 'concurrency') ?? 6;
  if (jobs < 0 || jobs > maxJobs()) throw new UsageError(`--jobs takes 0 (in this process) to ${maxJobs()} (a worker per core), not ${jobs}`);
  if (concurrency < 1 || concurrency > MAX_CONCURRENCY) throw new UsageError(`--concurrency takes 1 to ${MAX_CONCURRENCY} cells in flight per worker, not ${concurrency}`);
  const seed = intFlag(args, 'seed') ?? 1;
  // The reports' and exports' places, before the first cell runs.
  for (const flag of ['csv', 'json', 'html']) {
    const file = stringFlag(args, flag);
    if (file !== undefined) outputFile(flag, file);
  }
  const exportDir = stringFlag(args, 'export');
  if (exportDir !== undefined) outputFolder('export', exportDir);

  const tty = io === processIo && process.stderr.isTTY === true;
  const started = performance.now();
  let lastStep = -1;
  const run = await runGrid({
    axes, shard: shardFlag(args), seed, timeout, jobs, concurrency, exportDir, firewall: imported?.spec,
    onResult: (r, done, total) => {
      const rate = done / Math.max(0.001, (performance.now() - started) / 1000);
      if (!r.agrees) io.err(`DISAGREES ${r.id}: ${r.mismatch} (${r.reason})`);
      if (tty) process.stderr.write(`\r${progressBar(done, total, rate)}${done === total ? '\n' : ''}`);
      else {
        const step = Math.floor((done / total) * 20);
        if (step !== lastStep) {
          lastStep = step;
          io.err(progressBar(done, total, rate));
        }
      }
    },
  });
  const { results, summary } = run;
  const csv = stringFlag(args, 'csv'), json = stringFlag(args, 'json'), html = stringFlag(args, 'html');
  if (csv) write(csv, gridCsv(results));
  if (json) write(json, gridJson(axes, seed, results, summary));
  if (html) write(html, gridHtml(axes, results, summary));
  const counts = Object.entries(summary.counts).map(([k, n]) => `${n} ${k}`).join(', ');
  io.out(`${summary.cells} cells in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.cellsPerSecond} cells/s): ${counts}`);
  io.out(`${summary.agree} as expected, ${summary.disagree} not`);
  return summary.disagree === 0 ? EXIT.ok : EXIT.failed;
}
