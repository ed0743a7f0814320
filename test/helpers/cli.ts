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
