/**
 * Paths given to flags, checked before any lab runs: an output file must be one we can write where
 * it goes, an output folder a folder we can write in, an input a file we can read. Anything else is
 * bad input — exit 2, naming the flag and the path (docs/lab.md, "Command line") — never an errno
 * after the work is done, or a passing scenario reported as an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './args.ts';

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** What an errno means for a path, in words. */
function why(error: unknown): string {
  switch (errno(error)) {
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EROFS': return 'a read-only file system';
    case 'ENOSPC': return 'no space left on the device';
    case 'ENOENT': return 'no such file or folder';
    default: return (error as Error).message;
  }
}

/**
 * Create `dir` and whatever parents it lacks, one level at a time: `mkdirSync({ recursive: true })`
 * in Node 20 never returns for a path under /proc (it retries the parent forever), where a plain
 * mkdir fails at once with ENOENT. Throws an Error whose message names the part that is in the way.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (error) {
      if (errno(error) !== 'ENOENT' && errno(error) !== 'ENOTDIR') throw error;
    }
    if (stat) {
      if (!stat.isDirectory()) throw new Error(`${at} is a file, not a folder`);
      break;
    }
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (error) {
      throw new Error(`cannot create ${d}: ${why(error)}`, { cause: error });
    }
  }
}

/** `--flag DIR`, a folder the command writes into: made if missing, and writable. Returns it resolved. */
export function outputFolder(flag: string, dir: string): string {
  const resolved = path.resolve(dir);
  try {
    makeFolders(resolved);
    fs.accessSync(resolved, fs.constants.W_OK);
  } catch (error) {
    const message = error instanceof Error && !errno(error) ? error.message : `cannot write in ${resolved}: ${why(error)}`;
    throw new UsageError(`--${flag}: ${message}`);
  }
  return resolved;
}

/**
 * `--flag FILE`, a file the command writes: not a folder, in a folder it can write in — made if
 * missing, or (`makeFolder: false`, `up --record`) required to exist.
 */
export function outputFile(flag: string, file: string, { makeFolder = true } = {}): string {
  const resolved = path.resolve(file);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(resolved);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) throw new UsageError(`--${flag}: ${resolved} is a folder; give a file name`);
  const dir = path.dirname(resolved);
  if (!makeFolder && !fs.existsSync(dir)) throw new UsageError(`--${flag}: folder ${dir} does not exist`);
  outputFolder(flag, dir);
  if (stat) {
    try {
      fs.accessSync(resolved, fs.constants.W_OK);
    } catch (error) {
      throw new UsageError(`--${flag}: cannot write ${resolved}: ${why(error)}`);
    }
  }
  return resolved;
}

/** `path`'s stat for an input flag, or a refusal naming the flag (it is not there, or not readable). */
function inputStat(flag: string, p: string): fs.Stats {
  try {
    return fs.statSync(p);
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${p}: ${why(error)}`);
  }
}

/** `--flag FILE`, a file the command reads: there, a file (not a folder), and readable. */
export function inputFile(flag: string, file: string): string {
  if (inputStat(flag, file).isDirectory()) throw new UsageError(`--${flag}: ${file} is a folder, not a file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${file}: ${why(error)}`);
  }
  return file;
}

/** `--flag DIR`, a folder the command reads: there, and a folder. */
export function inputFolder(flag: string, dir: string): string {
  const resolved = path.resolve(dir);
  if (!inputStat(flag, resolved).isDirectory()) throw new UsageError(`--${flag}: ${resolved} is a file, not a folder`);
  return resolved;
}

/**
 * `--scenarios DIR` of serve and classroom: a folder with scenario files in it (`*.yaml`, `*.yml`).
 * A missing or empty one started a UI with nothing in its list, or a class where nothing could be
 * assigned.
 */
export function scenariosFolder(flag: string, dir: string): string {
  const resolved = inputFolder(flag, dir);
  const files = fs.readdirSync(resolved, { withFileTypes: true }).filter((e) => /\.ya?ml$/i.test(e.name) && !e.isDirectory());
  if (files.length === 0) throw new UsageError(`--${flag}: ${resolved} has no scenario files (*.yaml, *.yml) in it`);
  return resolved;
}
