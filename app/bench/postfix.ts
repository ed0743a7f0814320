/**
 * `sessions.postfixSink` of `bench --json` (docs/bench.md): how many new sessions per second Postfix's `smtp-sink`
 * takes from `smtp-source` on this machine, in the same run — a yardstick outside Node for what
 * loopback SMTP can do here. Both tools come from Debian's `postfix` package; when either is
 * missing the figure is null.
 *
 * smtp-source has no "connect and QUIT" mode: each of its sessions is HELO, MAIL, RCPT, DATA with
 * a message of headers only, QUIT (no -d, so one message per connection). That is more work per
 * session than the lab's figure asks of its servers: the Postfix figure is a little lower than a
 * like-for-like one would be, and `ratioPostfix` a little kinder to the lab. The time includes
 * starting the smtp-source process (a few milliseconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { realTimers } from '../base/timers.ts';
import { listenLoopback } from '../base/loopback.ts';
import { openAndQuit } from './quit-session.ts';
import { perSecond, round, timed, type BenchClock } from './measure.ts';

export interface PostfixTools {
  sink: string;
  source: string;
}

export interface PostfixFigure {
  rate: number | null;
  /** Why there is no figure (tools missing, a tool failed). */
  skipped?: string;
  ms?: number;
}

export function findPostfixTools(dir = '/usr/sbin'): PostfixTools | undefined {
  const sink = `${dir}/smtp-sink`, source = `${dir}/smtp-source`;
  try {
    fs.accessSync(sink, fs.constants.X_OK);
    fs.accessSync(source, fs.constants.X_OK);
    return { sink, source };
  } catch {
    return undefined;
  }
}

/** A loopback port nobody listens on right now (smtp-sink cannot be told to pick one itself). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listenLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function exited(child: ChildProcess, limitMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const cancel = realTimers.setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', (error) => {
      cancel();
      resolve({ code: null, stderr: error.message });
    });
    child.once('close', (code) => {
      cancel();
      resolve({ code, stderr });
    });
  });
}

/** Resolves once smtp-sink greets and says goodbye, or false when it exits or never does. */
async function sinkReady(port: number, sink: ChildProcess): Promise<boolean> {
  for (let attempt = 0; attempt < 500 && sink.exitCode === null; attempt++) {
    if (await openAndQuit(port)) return sink.exitCode === null;
    await new Promise<void>((resolve) => realTimers.setTimeout(resolve, 10));
  }
  return false;
}

interface Sink {
  port: number;
  stop(): Promise<void>;
}

/**
 * smtp-sink on a free loopback port. The port is free when chosen but may be taken before
 * smtp-sink binds it, so a sink that exits at once gets another port, three times at most.
 */
async function startSink(tools: PostfixTools): Promise<Sink | { error: string }> {
  // smtp-sink refuses to run as root without a user to drop to.
  const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  let error = 'no greeting';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const sink = spawn(tools.sink, [...user, `127.0.0.1:${port}`, '1024'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const done = exited(sink, 10 * 60_000);
    const stop = async () => {
      sink.kill('SIGTERM');
      await done;
    };
    if (await sinkReady(port, sink)) return { port, stop };
    await stop();
    error = (await done).stderr.trim() || error;
  }
  return { error };
}

export async function postfixSessions(tools: PostfixTools | undefined, sessions: number, concurrency: number, clock: BenchClock): Promise<PostfixFigure> {
  if (!tools) return { rate: null, skipped: 'smtp-sink / smtp-source not installed (Debian package postfix)' };
  const sink = await startSink(tools);
  if ('error' in sink) return { rate: null, skipped: `smtp-sink did not start: ${sink.error}` };
  try {
    const args = ['-s', String(concurrency), '-m', String(sessions), '-M', 'bench.intellinet.example',
      '-f', 'alice@intellinet.example', '-t', 'sean@ntsol.example', `127.0.0.1:${sink.port}`];
    const run = await timed(clock, () => exited(spawn(tools.source, args, { stdio: ['ignore', 'ignore', 'pipe'] }), 5 * 60_000));
    if (run.value.code !== 0) return { rate: null, skipped: `smtp-source exited with ${run.value.code}: ${run.value.stderr.trim()}` };
    return { rate: perSecond(sessions, run.ms), ms: round(run.ms) };
  } finally {
    await sink.stop();
  }
}
