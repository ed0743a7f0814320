/**
 * `--firewall-config FILE` (run, up, grid) and `postcard-lab firewall`: a pasted PIX/ASA
 * configuration becomes the firewall of every `via: firewall` path (docs/firewall-config.md).
 * Every line is named on stderr — understood, with what it does here, or ignored, with why.
 *
 *   postcard-lab firewall import FILE [--json]                  the line report and the stage chain
 *   postcard-lab firewall export PROFILE|SCENARIO [--path N] [--dialect pix|asa]   a chain as configuration
 */
import fs from 'node:fs';
import { PROFILE_NAMES, printVendorConfig, profileStages, readVendorConfig, type LineReport, type ParsedConfig } from '../grid/firewall.ts';
import { formatError, loadScenarioFile } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { intFlag, parseArgs, stringFlag, UsageError } from './args.ts';
import { EXIT, printable, type CliIo } from './io.ts';

/** One line of the report; the configuration's own text with its control characters escaped (`printable`). */
export function formatLineReport(l: LineReport): string {
  return printable(`  line ${String(l.line).padStart(3)}  ${l.status.padEnd(10)}  ${l.text.trim()}  — ${l.note}`);
}

/**
 * Read, parse and report a configuration; bad lines are a usage error (exit 2). `given`: how the
 * user named the file in errors (the flag, or nothing for `firewall import FILE`).
 */
export function readFirewallConfig(file: string, io: CliIo, given = '--firewall-config: '): { text: string; parsed: ParsedConfig; spec: { config: string } } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${given}cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const parsed = readVendorConfig(text);
  const counted = (s: string) => parsed.lines.filter((l) => l.status === s).length;
  io.err(`firewall configuration ${file} (${parsed.dialect}): ${counted('understood')} lines understood, ${counted('ignored')} ignored, ${parsed.errors.length} errors`);
  for (const l of parsed.lines) if (l.status !== 'comment') io.err(formatLineReport(l));
  io.err(`  stage chain: ${parsed.chain.map((r) => r.name).join(' → ') || '(none: bytes pass unchanged)'}`);
  if (parsed.errors.length) throw new UsageError(`${file}: ${parsed.errors.map((e) => `line ${e.line}: ${e.note}`).join('; ')}`);
  return { text, parsed, spec: { config: text } };
}

/**
 * Every `via: firewall` path of the scenario takes the configuration. False when it has none, and
 * nothing changed: `up` refuses that, `run` runs such a scenario as it is and says so.
 */
export function applyFirewallConfig(scenario: Scenario, spec: { config: string }): boolean {
  const paths = scenario.lab.paths.filter((p) => p.via === 'firewall');
  for (const p of paths) p.firewall = { profile: 'pass', with: {}, before: [], stages: [], ...spec };
  return paths.length > 0;
}

export async function firewallCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'import') {
    const args = parseArgs(rest, { json: { type: 'boolean' } });
    if (args.positional.length !== 1) throw new UsageError('firewall import takes one configuration file');
    const { parsed } = readFirewallConfig(args.positional[0], io, '');
    if (args.flags.has('json')) io.out(JSON.stringify({ dialect: parsed.dialect, chain: parsed.chain, lines: parsed.lines }, null, 2));
    else for (const r of parsed.chain) io.out(`${r.name} ${JSON.stringify(r.config)}`);
    return EXIT.ok;
  }
  if (sub === 'export') {
    const args = parseArgs(rest, { path: { type: 'value' }, dialect: { type: 'value' } });
    if (args.positional.length !== 1) throw new UsageError('firewall export takes one profile name or scenario file');
    const dialect = stringFlag(args, 'dialect');
    if (dialect !== undefined && dialect !== 'pix' && dialect !== 'asa') throw new UsageError(`--dialect takes pix or asa, not ${JSON.stringify(dialect)}`);
    const target = args.positional[0];
    let spec: unknown;
    if ((PROFILE_NAMES as readonly string[]).includes(target)) {
      if (args.flags.has('path')) throw new UsageError(`--path picks a firewall path of a scenario file; ${target} is a firewall profile`);
      spec = target;
    } else {
      if (!fs.existsSync(target)) throw new UsageError(`${target} is neither a firewall profile (${PROFILE_NAMES.join(', ')}) nor a scenario file`);
      const loaded = loadScenarioFile(target);
      if (!loaded.ok) {
        for (const e of loaded.errors) io.err(formatError(e));
        return EXIT.badInput;
      }
      const paths = loaded.scenario.lab.paths.filter((p) => p.firewall);
      if (paths.length === 0) throw new UsageError(`${target} has no path via a firewall to export`);
      const index = (intFlag(args, 'path') ?? 1) - 1;
      if (!paths[index]) throw new UsageError(`--path takes 1 to ${paths.length} (${target} has ${paths.length} firewall path${paths.length === 1 ? '' : 's'}), not ${index + 1}`);
      spec = paths[index].firewall;
    }
    const stages = profileStages(spec);
    const text = printVendorConfig(stages, { dialect });
    // --dialect picks the words only for a chain without SMTP inspection ("no fixup" / "no inspect");
    // a chain of PIX fixups or ASA inspection has words of its own, and another dialect is refused.
    if (dialect !== undefined && text === printVendorConfig(stages, { dialect: dialect === 'pix' ? 'asa' : 'pix' })) {
      const own = /^fixup protocol smtp/m.test(text) ? 'pix' : 'asa';
      if (own !== dialect) throw new UsageError(`--dialect ${dialect}: ${target}'s chain is written in ${own === 'pix' ? 'PIX\'s words (fixup protocol smtp)' : 'ASA\'s words (inspect esmtp)'}; --dialect chooses only for a chain without SMTP inspection`);
    }
    io.out(text.trimEnd());
    return EXIT.ok;
  }
  throw new UsageError(`firewall takes import or export, not ${JSON.stringify(sub ?? '')}`);
}
