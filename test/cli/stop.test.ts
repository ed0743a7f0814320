/**
 * Ctrl+C always ends `serve` and `up` (app/cli/io.ts `stopWithin`, bin/postcard-lab.mjs): a lab
 * that cannot stop, or a handle that outlives its command, is reported by kind and the process
 * exits, instead of hanging the user's shell.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stopWithin } from '../../app/cli/io.ts';
import { BIN, ROOT } from '../helpers/cli.ts';

function recordingIo() {
  const err: string[] = [];
  return { err, io: { out: () => {}, err: (l: string) => err.push(l), interrupted: () => new Promise<void>(() => {}) } };
}

describe('stopping a long-running command', () => {
  it('a stop that finishes in time is quiet', async () => {
    const { err, io } = recordingIo();
    expect(await stopWithin('postcard-lab serve', () => new Promise((r) => setTimeout(r, 10)), io, 2000)).toBe(true);
    expect(err).toEqual([]);
  });

  it('a stop that never finishes is given up after the limit, naming what still holds the process', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { err, io } = recordingIo();
    try {
      expect(await stopWithin('postcard-lab up', () => new Promise(() => {}), io, 200)).toBe(false);
    } finally {
      server.close();
    }
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^postcard-lab up: stopping took longer than 0\.2 s; exiting anyway \(still open: .*TCPServerWrap/);
  });

  it('the command line exits after its command finished even when something still holds the process', async () => {
    // A preloaded module keeps a timer alive for an hour: the command itself finishes at once.
    const hold = 'data:text/javascript,setTimeout(() => {}, 3600000)';
    const child = spawn(process.execPath, ['--import', hold, BIN, 'validate', path.join(ROOT, 'scenarios/postcard.yaml')], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(stderr).toMatch(/^postcard-lab: still open 3 s after the command finished: .*\bTimeout\b.*; exiting$/m);
  }, 30_000);
});
