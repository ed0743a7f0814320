/**
 * A child process that runs one of the engine's TypeScript files (a grid worker, the bench's load
 * figure) through this package's own tsx loader (docs/decisions.md, "The engine runs TypeScript
 * through tsx").
 *
 * `--import tsx` names the loader by a bare specifier, which Node resolves from the current
 * directory (the `--import` docs: "resolved relative to the current working directory"): from any
 * folder without tsx in its node_modules the child died with ERR_MODULE_NOT_FOUND before its first
 * line. The loader is resolved here, from this file, as the package's own dependency, and handed to
 * the child as a file URL that resolves the same from anywhere.
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** tsx's ESM loader (its package's "." export), as this package resolves it. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** `fork(entry)` with tsx's loader registered in the child, wherever the process was started. */
export function forkTypeScript(entry: string, options: Omit<ForkOptions, 'execArgv'> = {}): ChildProcess {
  return fork(entry, [], { ...options, execArgv: ['--import', TSX_LOADER] });
}
