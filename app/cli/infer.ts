/**
 * `postcard-lab infer --sent A.pcap[ng] --wire B.pcap[ng] [--path P] [--sent-interface NAME]
 * [--wire-interface NAME] [--out scenario.yaml] [--json]`: what the box between two captures does, as
 * stages, and a runnable scenario that reproduces it (docs/infer.md). Every difference it cannot
 * explain is listed with its packet numbers; exit 1 when there is one, 2 on unreadable input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CaptureOptionError, inferFromFiles } from '../infer/captures.ts';
import { CaptureFormatError } from '../infer/pcap.ts';
import { profileOfChain } from '../infer/infer.ts';
import { scenarioFromInference } from '../infer/scenario.ts';
import { parseArgs, stringFlag, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';
import { inputFile, outputFile } from './paths.ts';

const packets = (side: string, list: number[]) => (list.length ? `${side} packet${list.length > 1 ? 's' : ''} ${[...new Set(list)].join(', ')}` : '');

export async function inferCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, {
    sent: { type: 'value' }, wire: { type: 'value' }, path: { type: 'value' }, 'sent-interface': { type: 'value' }, 'wire-interface': { type: 'value' },
    out: { type: 'value' }, json: { type: 'boolean' },
  });
  if (args.positional.length > 0) throw new UsageError(`infer takes its captures as --sent and --wire, not as arguments (got ${args.positional.join(' ')})`);
  const sentFile = stringFlag(args, 'sent'), wireFile = stringFlag(args, 'wire');
  if (!sentFile || !wireFile) throw new UsageError('infer needs --sent FILE (before the box) and --wire FILE (after it); they may be the same lab capture');
  inputFile('sent', sentFile);
  inputFile('wire', wireFile);
  const out = stringFlag(args, 'out');
  if (out !== undefined) outputFile('out', out);
  let inf;
  try {
    inf = inferFromFiles(sentFile, wireFile, {
      path: stringFlag(args, 'path'),
      sent: { iface: stringFlag(args, 'sent-interface') }, wire: { iface: stringFlag(args, 'wire-interface') },
    });
  } catch (error) {
    if (error instanceof CaptureFormatError) throw new UsageError(error.message);
    if (error instanceof CaptureOptionError) throw new UsageError(`--${error.option}: ${error.message}`);
    throw error;
  }
  const id = out ? path.basename(out).replace(/\.ya?ml$/i, '').replace(/[^a-z0-9_-]/gi, '-').replace(/^[^a-z0-9]+/i, '') || 'inferred' : undefined;
  const built = inf.pairs.length ? scenarioFromInference(inf, { id }) : undefined;
  if (out && built) fs.writeFileSync(out, built.yaml);
  if (args.flags.has('json')) {
    io.out(JSON.stringify({
      version: 1, path: inf.path ?? null, otherPaths: inf.otherPaths, sessions: inf.pairs.length, chain: inf.chain,
      profile: profileOfChain(inf.chain) ?? null, evidence: inf.evidence, unexplained: inf.unexplained, notes: built?.notes ?? [], scenario: out ?? null,
    }, null, 2));
  } else {
    io.out(`${inf.pairs.length} SMTP session(s) on both sides${inf.path ? ` of lab path ${inf.path}` : ''}`);
    if (inf.otherPaths.length) io.out(`other paths in the capture (use --path): ${inf.otherPaths.join(', ')}`);
    const profile = profileOfChain(inf.chain);
    io.out(`inferred chain: ${inf.chain.map((r) => r.name).join(' → ') || '(none: bytes pass unchanged)'}${profile ? ` (the ${profile} profile)` : ''}`);
    for (const r of inf.chain) io.out(`  ${r.name} ${JSON.stringify(r.config)}`);
    const seen = new Set<string>();
    for (const e of inf.evidence) {
      const k = `${e.stage}|${e.text}`;
      if (seen.has(k)) continue;
      seen.add(k);
      io.out(`  because ${e.stage}: ${e.text} (${[packets('sent', e.sentPackets), packets('wire', e.wirePackets)].filter(Boolean).join('; ')})`);
    }
    for (const n of built?.notes ?? []) io.out(`note: ${n}`);
    if (out && built) io.out(`scenario written to ${out}`);
    else if (built && !out) io.out('(give --out FILE to write the scenario)');
  }
  for (const u of inf.unexplained) io.err(`UNEXPLAINED: ${u.text} (${[packets('sent', u.sentPackets), packets('wire', u.wirePackets)].filter(Boolean).join('; ') || 'no packet'})`);
  if (inf.pairs.length === 0) io.err('no SMTP session appears on both sides: no scenario written');
  return inf.unexplained.length === 0 && inf.pairs.length > 0 ? EXIT.ok : EXIT.failed;
}
