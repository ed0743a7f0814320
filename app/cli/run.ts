/**
 * `postcard-lab run <scenario.yaml|dir>... [--junit F] [--json F] [--html F] [--pcap DIR]
 * [--export DIR] [--workspace DIR [--resume]] [--seed N] [--shard I/N] [--firewall-config FILE]`:
 * every scenario headless, one line each, a closing `N passed, N failed`. `--pcap` writes
 * `DIR/<id>.pcapng`, and `DIR/<id>/<point>.pcapng` for each capture point that saw packets;
 * `--export` the key log, messages, transcripts and TLS-RPT reports under `DIR/<id>/`
 * (docs/cli.md, "`postcard-lab run`").
 *
 * A run is a tester's regression suite, so what goes wrong with one scenario is that scenario's
 * result, in every report, and not the end of the others: a file that does not load, a scenario
 * without the firewall path `--firewall-config` configures, the scenario Ctrl+C interrupts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checksNothing, duplicateIds, expandScenarioArgs, formatError, loadScenarioFile, type Loaded } from '../scenario/load.ts';
import { invalidResult, notRun, runScenario, type ScenarioResult } from '../scenario/run.ts';
import { htmlReport, jsonReport, junitReport, rerunCommand, runCounts } from '../scenario/reports.ts';
import { exportFiles, exportCaptures } from '../lab/exports.ts';
import { intFlag, parseArgs, shardFlag, stringFlag, UsageError } from './args.ts';
import { EXIT, SIGNAL_EXIT, type CliIo, type StopSignal } from './io.ts';
import { applyFirewallConfig, readFirewallConfig } from './firewall-config.ts';
import { makeFolders, outputFile, outputFolder } from './paths.ts';
import { workspaceHolds } from './queue.ts';

type Valid = Extract<Loaded, { ok: true }>;

function writeReport(file: string, text: string): void {
  makeFolders(path.dirname(path.resolve(file)));
  fs.writeFileSync(file, text);
}

/**
 * `--workspace DIR` keeps each scenario's lab in `DIR/<id>`. One that already holds a lab's state
 * would be resumed — its queue, mailboxes and clock — and a regression run must not depend on what
 * an earlier run left: refused (exit 2) unless `--resume` asks for it, each named on stderr with
 * what it holds (docs/cli.md, "`postcard-lab run`"; the decision of 2026-12-08).
 */
async function checkWorkspaces(root: string, scenarios: Valid[], resume: boolean, io: CliIo): Promise<void> {
  const held: { dir: string; holds: string }[] = [];
  for (const l of scenarios) {
    const dir = path.join(root, l.id);
    const holds = await workspaceHolds(dir);
    if (holds) held.push({ dir, holds });
  }
  if (held.length === 0) return;
  if (resume) {
    for (const { dir, holds } of held) io.err(`postcard-lab run: --resume: carrying on from the lab in ${dir} (${holds})`);
    return;
  }
  for (const { dir, holds } of held) io.err(`postcard-lab run: --workspace: ${dir} already holds a lab's state (${holds})`);
  throw new UsageError(`--workspace: a run starts every lab afresh; remove ${held.length === 1 ? 'that workspace' : 'those workspaces'} or give another folder, or add --resume to carry on from ${held.length === 1 ? 'it' : 'them'}`);
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    junit: { type: 'value' }, json: { type: 'value' }, html: { type: 'value' }, pcap: { type: 'value' }, export: { type: 'value' },
    workspace: { type: 'value' }, resume: { type: 'boolean' }, seed: { type: 'value' }, shard: { type: 'value' }, 'firewall-config': { type: 'value' },
  });
  if (args.positional.length === 0) throw new UsageError('run needs at least one scenario file or folder');
  const seed = intFlag(args, 'seed');
  const shard = shardFlag(args);
  const workspaceFlag = stringFlag(args, 'workspace');
  if (args.flags.has('resume') && workspaceFlag === undefined) throw new UsageError('--resume carries on from the labs kept in --workspace DIR; give --workspace');
  // Where the reports, captures and workspaces go: checked (and made) before any lab runs.
  for (const flag of ['junit', 'json', 'html']) {
    const file = stringFlag(args, flag);
    if (file !== undefined) outputFile(flag, file);
  }
  for (const flag of ['pcap', 'export', 'workspace']) {
    const dir = stringFlag(args, flag);
    if (dir !== undefined) outputFolder(flag, dir);
  }

  // Every file, in the order given. One that does not load (or a folder with none in it) is said
  // here, in validate's words, and is an error in the reports where it stands; the others run.
  const { files, errors: empty } = expandScenarioArgs(args.positional);
  const loaded: Loaded[] = [...empty.map((e): Loaded => ({ ok: false, file: e.file, errors: [e] })), ...files.map((f) => loadScenarioFile(f))];
  for (const l of loaded) if (!l.ok) for (const e of l.errors) io.err(formatError(e));
  if (files.length === 0) return EXIT.badInput;
  const valid = loaded.filter((l): l is Valid => l.ok);
  // Two scenarios with one id would share reports, captures and workspaces: neither can be told apart.
  const duplicates = duplicateIds(valid);
  for (const line of duplicates) io.err(line);
  if (duplicates.length > 0) return EXIT.badInput;
  for (const l of valid) if (checksNothing(l.scenario)) io.err(`${l.file}: warning: no expect or checkpoint step, so this scenario passes whatever happens`);

  // The configuration goes to every scenario with a firewall path; the others run as they are. A
  // list with no firewall path at all is a mistake (the wrong folder, the wrong flag): refused.
  const configFile = stringFlag(args, 'firewall-config');
  const configured = new Map<Valid, boolean>();
  if (configFile) {
    const { spec } = readFirewallConfig(configFile, io);
    for (const l of valid) configured.set(l, applyFirewallConfig(l.scenario, spec));
    if (valid.length > 0 && ![...configured.values()].some(Boolean)) {
      throw new UsageError(`--firewall-config ${configFile}: no scenario given has a path via a firewall to configure (${valid.map((l) => l.id).join(', ')})`);
    }
  }

  const mine = shard ? loaded.filter((_, i) => i % shard.count === shard.index - 1) : loaded;
  const runnable = mine.filter((l): l is Valid => l.ok);
  const unconfigured = runnable.filter((l) => configured.get(l) === false).map((l) => l.id);
  if (unconfigured.length > 0) {
    io.err(`postcard-lab run: --firewall-config ${configFile}: not applied to ${unconfigured.length === 1 ? 'a scenario' : `${unconfigured.length} scenarios`} without a firewall path, run unchanged: ${unconfigured.join(', ')}`);
  }
  if (workspaceFlag !== undefined) await checkWorkspaces(path.resolve(workspaceFlag), runnable, args.flags.has('resume'), io);

  // Ctrl+C or SIGTERM: no scenario starts after it, the one running ends as an error at the step
  // it was at, and the reports are written with what ran. A second one exits at once.
  const stop = new AbortController();
  let interrupted: StopSignal | undefined;
  /** The run's own workspace when none is given: removed when the run ends, however it ends. */
  let tempRoot: string | undefined;
  const written: string[] = [];
  const removeHandlers = io.onInterrupt?.((signal) => {
    interrupted = signal;
    io.err(`postcard-lab run: ${signal}: ending the scenario now running and writing the reports with what ran (a second signal exits at once)`);
    stop.abort(signal);
  }, (signal) => {
    if (tempRoot) fs.rmSync(tempRoot, { recursive: true, force: true });
    io.err(`postcard-lab run: ${signal} again: exiting at once${written.length ? ` (written: ${written.join(', ')})` : ', no report written'}`);
  }) ?? (() => {});
  try {
    tempRoot = workspaceFlag === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-lab-run-')) : undefined;
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
    const pcap = stringFlag(args, 'pcap'), exportDir = stringFlag(args, 'export');
    let started = 0;
    for (const l of mine) {
      if (!l.ok) {
        const result = invalidResult(l.file, l.errors);
        results.push(result);
        io.out(`ERROR ${result.id} (${result.file}) — ${result.error}`);
        continue;
      }
      const fc = configFile ? { firewallConfig: { file: configFile, applied: configured.get(l)! } } : {};
      if (stop.signal.aborted) {
        results.push({ ...notRun(l.file, l.id, l.scenario, `the run was interrupted by ${interrupted} before this scenario`, seed), ...fc });
        io.out(`SKIP ${l.id} (${l.file}) — not run: interrupted by ${interrupted}`);
        continue;
      }
      io.err(`[${++started}/${runnable.length}] ${l.id}: ${l.scenario.title}`);
      const result: ScenarioResult = { ...await runScenario(l.file, l.id, l.scenario, {
        seed, workspace: workspaceFlag ?? tempRoot, signal: stop.signal,
        beforeStop: async (lab) => {
          const exportTo = exportDir && path.join(exportDir, l.id);
          if (pcap) await exporting('pcap', path.join(pcap, `${l.id}.pcapng`), () => exportCaptures(lab, pcap, l.id));
          if (exportTo) await exporting('export', exportTo, () => exportFiles(lab, exportTo));
        },
        onStep: (s) => { if (s.status !== 'passed') io.err(`    step ${s.index + 1} ${s.kind} ${s.name}: ${s.status}: ${s.message}`); },
      }), ...fc };
      // A temporary lab goes as soon as it has stopped: a long run does not pile them up.
      if (tempRoot) fs.rmSync(path.join(tempRoot, l.id), { recursive: true, force: true });
      results.push(result);
      const word = result.status === 'passed' ? 'PASS' : result.status === 'failed' ? 'FAIL' : 'ERROR';
      io.out(`${word} ${result.id} (${result.file}) ${result.durationMs} ms${result.error ? ` — ${result.error}` : ''}`);
      if (result.status !== 'passed') io.err(`    run it again: ${rerunCommand(result)}`);
    }
    const reports: [string | undefined, () => string][] = [
      [stringFlag(args, 'junit'), () => junitReport(results)],
      [stringFlag(args, 'json'), () => jsonReport(seed, results, { interrupted })],
      [stringFlag(args, 'html'), () => htmlReport(results, { interrupted })],
    ];
    for (const [file, text] of reports) {
      if (!file) continue;
      writeReport(file, text());
      written.push(file);
    }
    io.out(runCounts(results));
    for (const line of unwritten) io.err(`postcard-lab run: ${line}`);
    if (interrupted) return SIGNAL_EXIT[interrupted];
    // A file that did not load is bad input (2), whatever the others did.
    if (results.some((r) => r.invalid)) return EXIT.badInput;
    return results.every((r) => r.status === 'passed') && unwritten.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    removeHandlers();
    if (tempRoot) fs.rmSync(tempRoot, { recursive: true, force: true });
  }
}
