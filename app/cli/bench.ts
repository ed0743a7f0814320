/**
 * `postcard-lab bench [--json] [--quick]`: the performance figures of docs/bench.md, as a readable table
 * or, with --json, exactly its `bench --json` object on stdout (progress goes to stderr). Exit 1
 * when the lab or a baseline failed to move every message or session it was given: a figure from
 * a run that lost mail is no figure.
 */
import { parseArgs, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';
import { runBench, shortfalls, type BenchOptions } from '../bench/run.ts';
import { formatReport } from '../bench/report.ts';

export async function benchCommand(argv: string[], io: CliIo, deps: Omit<BenchOptions, 'quick' | 'progress'> = {}): Promise<number> {
  const args = parseArgs(argv, { json: { type: 'boolean' }, quick: { type: 'boolean' } });
  if (args.positional.length > 0) throw new UsageError(`bench takes no arguments (got ${args.positional.join(' ')})`);
  const json = args.flags.has('json');
  const report = await runBench({ ...deps, quick: args.flags.has('quick'), progress: (line) => io.err(`bench: ${line}`) });
  if (json) io.out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) io.out(line);
  const missing = shortfalls(report);
  for (const line of missing) io.err(`postcard-lab bench: ${line}`);
  return missing.length > 0 ? EXIT.failed : EXIT.ok;
}
