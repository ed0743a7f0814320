/** `postcard-lab validate <file>...`: check scenario files, print every error, exit 2 if any. */
import { expandScenarioArgs, formatError, loadScenarioFile } from '../scenario/load.ts';
import { parseArgs, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';

export function validateCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, {});
  if (args.positional.length === 0) throw new UsageError('validate needs at least one scenario file');
  const { files, errors } = expandScenarioArgs(args.positional);
  for (const e of errors) io.err(formatError(e));
  let bad = errors.length;
  for (const file of files) {
    const loaded = loadScenarioFile(file);
    if (loaded.ok) io.out(`ok ${file} (${loaded.id}: ${loaded.scenario.steps.length} steps)`);
    else {
      bad++;
      for (const e of loaded.errors) io.err(formatError(e));
    }
  }
  return bad > 0 ? EXIT.badInput : EXIT.ok;
}
