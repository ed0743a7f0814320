/**
 * `postcard-lab up <scenario.yaml> [--json] [--workspace DIR] [--record FILE] [--time-scale N]
 * [--firewall-config FILE]`: start the scenario's lab, print its endpoints, and keep running until
 * interrupted, so real tools — swaks, telnet, `openssl s_client -starttls smtp` — can talk to it.
 * The lab clock follows real time (N times as fast), and a restart on the same workspace resumes
 * its queue. With `--record FILE`, what happened during the session (the messages real clients
 * submitted and their outcomes) is written to FILE as a scenario when it stops
 * (app/scenario/record.ts, docs/authoring.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatError, loadScenarioFile } from '../scenario/load.ts';
import { createLab, type Lab } from '../lab/lab.ts';
import { recordScenario, type RecordOptions } from '../scenario/record.ts';
import { parseArgs, stringFlag, timeScaleFlag, UsageError } from './args.ts';
import { EXIT, stopWithin, type CliIo } from './io.ts';
import { applyFirewallConfig, readFirewallConfig } from './firewall-config.ts';
import { outputFile, outputFolder } from './paths.ts';

/** What opening the workspace cleaned up or cut (a previous run was killed), one line each. */
export function recoveryLines(lab: Lab): string[] {
  const r = lab.ws.recovery;
  return [
    ...(lab.recovered.discarded > 0 ? [`recovery: discarded ${lab.recovered.discarded} unacknowledged cop${lab.recovered.discarded === 1 ? 'y' : 'ies'} (their senders still hold them and send them again)`] : []),
    ...(lab.recovered.settled > 0 ? [`recovery: ${lab.recovered.settled} message${lab.recovered.settled === 1 ? ' was' : 's were'} acknowledged by the receiving lab server just before the process died: recorded as delivered, not sent again`] : []),
    ...r.removed.map((f) => `recovery: removed ${f} (a write cut short by a kill)`),
    ...r.corrupt.map((c) => `recovery: ignored ${c.file}: ${c.reason}`),
    ...r.journals.flatMap((j) => [
      ...(j.cutBytes > 0 ? [`recovery: cut ${j.cutBytes} octets off ${path.relative(lab.ws.root, j.file)}: ${j.cutReason}`] : []),
      ...(j.compacted ? [`recovery: compacted ${path.relative(lab.ws.root, j.file)} from ${j.compacted.before} to ${j.compacted.after} octets`] : []),
    ]),
  ];
}

/** Rows padded to their widest cell, two spaces apart. */
function table(head: string[], rows: unknown[][]): string[] {
  const cells = [head, ...rows.map((r) => r.map((c) => String(c ?? '')))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

export async function upCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { json: { type: 'boolean' }, workspace: { type: 'value' }, record: { type: 'value' }, 'firewall-config': { type: 'value' }, 'time-scale': { type: 'value' } });
  const scale = timeScaleFlag(args) ?? 1;
  if (args.positional.length !== 1) throw new UsageError('up takes exactly one scenario file');
  // Checked at start, not at Ctrl+C when the session's recording is due: a folder, or a place
  // that cannot be written, is a bad flag (exit 2).
  const record = stringFlag(args, 'record');
  if (record !== undefined) outputFile('record', record, { makeFolder: false });
  const workspaceFlag = stringFlag(args, 'workspace');
  if (workspaceFlag !== undefined) outputFolder('workspace', workspaceFlag);
  const loaded = loadScenarioFile(args.positional[0]);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(formatError(e));
    return EXIT.badInput;
  }
  const configFile = stringFlag(args, 'firewall-config');
  if (configFile && !applyFirewallConfig(loaded.scenario, readFirewallConfig(configFile, io).spec)) {
    throw new UsageError(`--firewall-config ${configFile}: scenario "${loaded.scenario.title}" has no path via a firewall to configure`);
  }
  const workspace = path.resolve(workspaceFlag ?? path.join('.lab', loaded.id));
  // No scenario drives the clock here: it follows real time, so retries and bounces happen (issue 18).
  const lab = await createLab(loaded.scenario.lab, { workspace, running: { scale } });
  for (const line of recoveryLines(lab)) io.err(line);
  const lines = lab.endpoints();
  const ready = { type: 'ready', workspace: lab.ws.root, ca: lab.security.caFile, scenario: loaded.id };
  if (args.flags.has('json')) {
    for (const line of [...lines, ready]) io.out(JSON.stringify(line));
  } else {
    io.out(`Postcard Lab: ${loaded.scenario.title}`);
    io.out('');
    const hosts = lines.filter((l) => l.type === 'host');
    for (const row of table(['HOST', 'ORG', 'ROLE', 'LISTENS', 'SUBMISSION'], hosts.map((h) => [h.name, h.org, h.role, h.smtp ?? h.https, h.submission ?? '']))) io.out(row);
    io.out('');
    const paths = lines.filter((l) => l.type === 'path');
    for (const row of table(['FROM → TO', 'VIA', 'ENTRY', 'HOST'], paths.map((p) => [`${p.from} → ${p.toOrg}`, p.scanner ? `${p.via} (${p.scanner})` : p.via, p.entry, p.to]))) io.out(row);
    io.out('');
    io.out(`Workspace: ${lab.ws.root}`);
    io.out(`Lab CA:    ${lab.security.caFile}`);
    io.out('Ready. Press Ctrl+C to stop.');
  }
  await io.interrupted();
  // The lab is stopped whatever the recording does; a recording that cannot be written says where it is.
  const recorded = record === undefined || await writeRecording(lab, loaded, record, io);
  const stopped = await stopWithin('postcard-lab up', () => lab.stop(), io);
  return stopped && recorded ? EXIT.ok : EXIT.failed;
}

/** `--record FILE` at the end of the session: true when written. */
async function writeRecording(lab: Lab, loaded: { id: string; file: string; scenario: { title: string; level: RecordOptions['level'] } }, record: string, io: CliIo): Promise<boolean> {
  const target = path.resolve(record);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    await lab.idle().catch(() => undefined);
    const { yaml, summary } = recordScenario(lab, {
      id: `${loaded.id}-recorded`, title: `${loaded.scenario.title} (recorded)`, level: loaded.scenario.level,
      story: `Recorded by \`postcard-lab up --record\` from ${path.basename(loaded.file)}: the messages clients submitted and their outcomes.`,
    });
    // Atomic: a half-written scenario never replaces a good one.
    fs.writeFileSync(tmp, yaml);
    fs.renameSync(tmp, target);
    io.err(`Recorded ${summary} to ${record}`);
    return true;
  } catch (error) {
    const kept = fs.existsSync(tmp) ? `; the recording is in ${tmp}` : '';
    io.err(`postcard-lab up: --record: could not write ${target}: ${(error as Error).message}${kept}`);
    return false;
  }
}
