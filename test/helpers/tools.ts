/**
 * Gates a test on a system tool from scripts/system-tools.mjs, the one list that .ci/run installs
 * from. Where the tool is missing, the test skips and its title says why — except under CI=true,
 * where it runs and fails with the line that names the package to install: CI must never pass
 * by skipping what a fresh machine lacks.
 */
import { describe, it } from 'vitest';
import { findTool, isPresent, missingLine } from '../../scripts/system-tools.mjs';

const onCi = Boolean(process.env.CI) && process.env.CI !== 'false';

export interface ToolGate {
  /** Every tool named is installed. */
  present: boolean;
  /** One line per missing tool, naming its Debian package; empty when present. */
  missing: string[];
  /** `it` where the tools are there; else a skip (locally) or a failing test (CI). */
  it: typeof it;
  describe: typeof describe;
}

export function needs(...ids: string[]): ToolGate {
  const missing = ids.map(findTool).filter((t) => !isPresent(t)).map(missingLine);
  const present = missing.length === 0;
  if (present) return { present, missing, it, describe };
  const reason = missing.join('; ');
  if (!onCi) {
    return {
      present, missing,
      it: ((title: string, ...rest: unknown[]) => it.skip(`${title} (skipped: ${reason})`, ...(rest as []))) as unknown as typeof it,
      describe: ((title: string, ...rest: unknown[]) => describe.skip(`${title} (skipped: ${reason})`, ...(rest as []))) as unknown as typeof describe,
    };
  }
  const failing = (title: string) => it(title, () => { throw new Error(`missing on this CI machine: ${reason}`); });
  return {
    present, missing,
    it: ((title: string) => failing(title)) as unknown as typeof it,
    describe: ((title: string) => describe(title, () => failing('has the system tools it needs'))) as unknown as typeof describe,
  };
}
