/** `postcard-lab validate <file>...`: check scenario files, print every error, exit 2 if any. */
import { checksNothing, duplicateIds, expandScenarioArgs, formatError, loadScenarioFile } from '../scenario/load.ts';
import { parseArgs, UsageError } from './args.ts';
import { EXIT, type CliIo } from './io.ts';

export function validateCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, {});
  if (args.positional.length === 0) throw new UsageError('validate needs at least one scenario file');
  const { files, errors } = expandScenarioArgs(args.positional);
  for (const e of errors) io.err(formatError(e));
  let bad = errors.length;
  const valid: { id: string; file: string }[] = [];
  for (const file of files) {
    const loaded = loadScenarioFile(file);
    if (loaded.ok) {
      io.out(`ok ${file} (${loaded.id}: ${loaded.scenario.steps.length} steps)`);
      valid.push(loaded);
      if (checksNothing(loaded.scenario)) io.err(`${file}: warning: no expect or checkpoint step, so this scenario passes whatever happens`);
    } else {
      bad++;
      for (const e of loaded.errors) io.err(formatError(e));
    }
  }
  // The checks `run` makes across files, so a set that validates also runs.
  const duplicates = duplicateIds(valid);
  for (const line of duplicates) io.err(line);
  return bad + duplicates.length > 0 ? EXIT.badInput : EXIT.ok;
}
