/**
 * `postcard-lab run <scenario.yaml|dir>... [--junit F] [--json F] [--html F] [--pcap DIR]
 * [--export DIR] [--workspace DIR] [--seed N] [--shard I/N] [--firewall-config FILE]`: every scenario headless, one line
 * each, a closing `N passed, N failed`. `--pcap` writes `DIR/<id>.pcapng`; `--export` the key log,
 * messages, transcripts and TLS-RPT reports under `DIR/<id>/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checksNothing, duplicateIds, expandScenarioArgs, formatError, loadScenarioFile, type Loaded } from '../scenario/load.ts';
import { runScenario, type ScenarioResult } from '../scenario/run.ts';
import { htmlReport, jsonReport, junitReport, rerunCommand } from '../scenario/reports.ts';
import { exportFiles, exportPcapng } from '../lab/exports.ts';
import { intFlag, parseArgs, shardFlag, stringFlag, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';
import { applyFirewallConfig, readFirewallConfig } from './firewall-config.ts';
import { makeFolders, outputFile, outputFolder } from './paths.ts';

function writeReport(file: string, text: string): void {
  makeFolders(path.dirname(path.resolve(file)));
  fs.writeFileSync(file, text);
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    junit: { type: 'value' }, json: { type: 'value' }, html: { type: 'value' }, pcap: { type: 'value' }, export: { type: 'value' },
    workspace: { type: 'value' }, seed: { type: 'value' }, shard: { type: 'value' }, 'firewall-config': { type: 'value' },
  });
  if (args.positional.length === 0) throw new UsageError('run needs at least one scenario file or folder');
  const seed = intFlag(args, 'seed');
  const shard = shardFlag(args);
  // Where the reports, captures and workspaces go: checked (and made) before any lab runs.
  for (const flag of ['junit', 'json', 'html']) {
    const file = stringFlag(args, flag);
    if (file !== undefined) outputFile(flag, file);
  }
  for (const flag of ['pcap', 'export', 'workspace']) {
    const dir = stringFlag(args, flag);
    if (dir !== undefined) outputFolder(flag, dir);
  }

  const { files, errors: missing } = expandScenarioArgs(args.positional);
  for (const e of missing) io.err(formatError(e));
  const loaded = files.map((f) => loadScenarioFile(f));
  const invalid = loaded.filter((l): l is Extract<Loaded, { ok: false }> => !l.ok);
  for (const l of invalid) for (const e of l.errors) io.err(formatError(e));
  if (missing.length > 0 && files.length === 0) return EXIT.badInput;
  const valid = loaded.filter((l): l is Extract<Loaded, { ok: true }> => l.ok);
  const duplicates = duplicateIds(valid);
  for (const line of duplicates) io.err(line);
  if (invalid.length > 0 || duplicates.length > 0 || missing.length > 0) return EXIT.badInput;
  for (const l of valid) if (checksNothing(l.scenario)) io.err(`${l.file}: warning: no expect or checkpoint step, so this scenario passes whatever happens`);
  const configFile = stringFlag(args, 'firewall-config');
  if (configFile) {
    const { spec } = readFirewallConfig(configFile, io);
    for (const l of valid) applyFirewallConfig(l.scenario, configFile, spec);
  }

  const mine = shard ? valid.filter((_, i) => i % shard!.count === shard!.index - 1) : valid;
  const results: ScenarioResult[] = [];
  /** Exports that could not be written: said, and exit 1, but the scenario's own result stands. */
  const unwritten: string[] = [];
  const exporting = async (flag: string, target: string, write: () => unknown) => {
    try {
      await write();
    } catch (error) {
      unwritten.push(`--${flag}: could not write ${target}: ${(error as Error).message}`);
    }
  };
  for (const [n, l] of mine.entries()) {
    io.err(`[${n + 1}/${mine.length}] ${l.id}: ${l.scenario.title}`);
    const pcap = stringFlag(args, 'pcap'), exportDir = stringFlag(args, 'export');
    const result = await runScenario(l.file, l.id, l.scenario, {
      seed, workspace: stringFlag(args, 'workspace'),
      beforeStop: async (lab) => {
        const pcapFile = pcap && path.join(pcap, `${l.id}.pcapng`), exportTo = exportDir && path.join(exportDir, l.id);
        if (pcapFile) await exporting('pcap', pcapFile, () => exportPcapng(lab, pcapFile));
        if (exportTo) await exporting('export', exportTo, () => exportFiles(lab, exportTo));
      },
      onStep: (s) => { if (s.status !== 'passed') io.err(`    step ${s.index + 1} ${s.kind} ${s.name}: ${s.status}: ${s.message}`); },
    });
    results.push(result);
    const word = result.status === 'passed' ? 'PASS' : result.status === 'failed' ? 'FAIL' : 'ERROR';
    io.out(`${word} ${result.id} (${result.file}) ${result.durationMs} ms${result.error ? ` — ${result.error}` : ''}`);
    if (result.status !== 'passed') io.err(`    run it again: ${rerunCommand(result, { firewallConfig: configFile })}`);
  }
  const junit = stringFlag(args, 'junit'), json = stringFlag(args, 'json'), html = stringFlag(args, 'html');
  if (junit) writeReport(junit, junitReport(results));
  if (json) writeReport(json, jsonReport(seed, results));
  if (html) writeReport(html, htmlReport(results, { firewallConfig: configFile }));
  const passed = results.filter((r) => r.status === 'passed').length;
  io.out(`${passed} passed, ${results.length - passed} failed`);
  for (const line of unwritten) io.err(`postcard-lab run: ${line}`);
  return passed === results.length && unwritten.length === 0 ? EXIT.ok : EXIT.failed;
}
