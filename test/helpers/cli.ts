/** Run the CLI in-process, or as a real child process through the package's bin. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { main } from '../../app/cli/main.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/postcard-lab.mjs');

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), interrupted: () => new Promise(() => {}) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export interface Run {
  proc: ChildProcessWithoutNullStreams;
  /** What the process wrote so far (it keeps growing until it exits). */
  out: () => string;
  err: () => string;
  /** Resolves when it has exited: its code, or the signal that ended it, and all it wrote. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

/** `postcard-lab ...argv` as a real child process through the package's bin (`env`: added to this process's). */
export function cliChild(argv: string[], env: NodeJS.ProcessEnv = {}): Run {
  const proc = spawn(process.execPath, [BIN, ...argv], { cwd: ROOT, stdio: 'pipe', env: { ...process.env, ...env } });
  let out = '', err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { proc, out: () => out, err: () => err, exited };
}

export interface Child {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves with the parsed JSON lines up to and including `{"type":"ready"}`. */
  ready: Promise<Record<string, unknown>[]>;
}

/** `postcard-lab up <file> --json` as a child process (`extra`: more flags, e.g. `--time-scale`). */
export function upChild(file: string, workspace: string, extra: string[] = []): Child {
  const proc = spawn(process.execPath, [BIN, 'up', file, '--json', '--workspace', workspace, ...extra], { cwd: ROOT, stdio: 'pipe' });
  const lines: Record<string, unknown>[] = [];
  const ready = new Promise<Record<string, unknown>[]>((resolve, reject) => {
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('exit', (code) => reject(new Error(`up exited with ${code}: ${stderr}`)));
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      const obj = JSON.parse(line) as Record<string, unknown>;
      lines.push(obj);
      if (obj.type === 'ready') resolve(lines);
    });
  });
  return { proc, ready };
}

/** SIGKILL the child; resolves once it has exited, so nothing writes to its workspace any more. */
export function killChild({ proc }: Child): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGKILL');
  return exited;
}
