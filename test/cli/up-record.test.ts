// `postcard-lab up … --record FILE`: what real clients did during an `up` session becomes a
// scenario that validates and that `postcard-lab run` passes.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../../app/cli/main.ts';
import { cli, ROOT } from '../helpers/cli.ts';

/**
 * `up postcard.yaml --json --record FILE` in this process, in a temp folder, until it says ready:
 * the recording's path, the host line with the submission port, what went to stderr, `stop()`
 * (Ctrl+C) and the command's exit code to await.
 */
async function upRecording() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-up-record-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'recorded.yaml');
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const out: string[] = [];
  const err: string[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const running = main(['up', path.join(ROOT, 'scenarios/postcard.yaml'), '--json', '--workspace', path.join(dir, 'lab'), '--record', file], {
    out: (line) => {
      out.push(line);
      if (line.includes('"type":"ready"')) ready();
    },
    err: (line) => err.push(line),
    interrupted: () => stopped,
  });
  await isReady;
  const host = out.map((l) => JSON.parse(l) as Record<string, string>).find((l) => l.type === 'host' && l.submission)!;
  return { file, host, err, stop, running };
}

describe('postcard-lab up --record', () => {
  it('writes the session as a scenario when it stops; run passes on it', async () => {
    const { file, host, err, stop, running } = await upRecording();
    const [, port] = host.submission.split(':');
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(port), secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Typed in a client', text: 'Hello Sean' });
    stop();
    expect([await running, err]).toEqual([0, [`Recorded 1 message, 0 changes after the first message (earlier changes are in its lab) to ${file}`]]);

    const yaml = fs.readFileSync(file, 'utf8');
    expect(yaml).toContain('subject: Typed in a client');
    expect(yaml).toContain('outcome: delivered');
    expect((await cli('validate', file)).code).toBe(0);
    const run = await cli('run', file);
    expect(run.out).toMatch(/1 passed, 0 failed/);
    expect(run.code).toBe(0);
  });

  it('refuses a --record path that is a folder at start (exit 2), not at Ctrl+C', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-up-record-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const r = await cli('up', path.join(ROOT, 'scenarios/postcard.yaml'), '--workspace', path.join(dir, 'lab'), '--record', dir);
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, `postcard-lab up: --record: ${dir} is a folder; give a file name`]);
    expect(fs.existsSync(path.join(dir, 'lab'))).toBe(false); // no lab was started
  });

  it('a recording that cannot be written at the end says where it is kept, exit 1, and the lab still stops', async () => {
    const { file, host, err, stop, running } = await upRecording();
    // Something takes the recording's place while the lab runs.
    fs.mkdirSync(file);
    stop();
    expect(await running).toBe(1);
    expect(err).toEqual([expect.stringMatching(new RegExp(`^postcard-lab up: --record: could not write ${file.replace(/[.]/g, '\\.')}: .*; the recording is in ${file.replace(/[.]/g, '\\.')}\\.tmp-\\d+$`))]);
    const kept = err[0].split('the recording is in ')[1];
    expect(fs.readFileSync(kept, 'utf8')).toContain('title: ');
    // The lab stopped: its listeners are gone.
    const [, port] = host.submission.split(':');
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve('connected'); });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('refuses a --record path whose folder does not exist (exit 2) before starting anything', async () => {
    const r = await cli('up', path.join(ROOT, 'scenarios/postcard.yaml'), '--record', '/nonexistent-folder/x.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--record: folder \/nonexistent-folder does not exist/);
  });
});
