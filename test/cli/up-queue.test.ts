/**
 * `postcard-lab up` as a mail server under load and over time (issue 18): many messages over many
 * sessions all delivered with none deferred by the lab's own overload; a partner that is down is
 * retried on the queue's real-time schedule and gets the mail when it returns; a restart resumes
 * the queue; `postcard-lab queue` reads it all from the workspace.
 *
 * Size: POSTCARD_UP_LOAD messages (default 400 here; `bench` runs 2,000) over 20 sessions.
 */
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { ROOT, cli, killChild, upChild, type Child } from '../helpers/cli.ts';
import { Submitter } from '../../app/bench/submitter.ts';
import { allEntries, mailboxMessages } from '../helpers/workspace.ts';

const LOAD = Number(process.env.POSTCARD_UP_LOAD ?? 400);
const SESSIONS = 20;

const children: Child[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  const exited = children.splice(0).map(killChild);
  for (const close of closers.splice(0)) close();
  await Promise.all(exited);
});

/** A folder for one test, removed when it ends (after afterEach saw its children exit). */
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-upq-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(fn: () => T | undefined, what: string, tries = 2400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function up(file: string, ws: string, extra: string[] = []) {
  const child = upChild(file, ws, extra);
  children.push(child);
  const lines = await child.ready;
  const host = lines.find((l) => l.type === 'host' && l.submission) as { submission: string };
  return { child, submission: Number(host.submission.split(':')[1]) };
}

const message = (n: number) => `From: alice@intellinet.example\nTo: sean@ntsol.example\nSubject: load ${n}\nX-Load-Id: ${n}\n\nMessage ${n}.\n`;

/** A free loopback port (listen on 0, note it, close). */
function listen(server: net.Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * A partner whose mail service is down: its port stays held (so no other test's listener can take
 * it while the lab retries) and every connection is reset at once. `comeBack` starts the partner's
 * server on the same port, the moment the holder lets it go.
 */
async function downPartner(): Promise<{ port: number; comeBack(): Promise<{ received: string[]; close(): void }> }> {
  const holder = net.createServer((socket) => socket.resetAndDestroy());
  await listen(holder, 0);
  const port = (holder.address() as net.AddressInfo).port;
  closers.push(() => holder.close());
  return {
    port,
    comeBack: async () => {
      await new Promise((r) => holder.close(r));
      return partner(port);
    },
  };
}

/** The partner's own server (outside the lab), collecting what it is given. */
async function partner(port: number): Promise<{ received: string[]; close(): void }> {
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks).toString());
        callback();
      });
    },
  });
  await listen(server.server, port);
  const close = () => server.close(() => undefined);
  closers.push(close);
  return { received, close };
}

describe('postcard-lab up: a mail server that keeps its promises', () => {
  it(`delivers ${LOAD} messages submitted over ${SESSIONS} sessions, none deferred by the lab's own overload`, async () => {
    const ws = tmp();
    const { submission } = await up(path.join(ROOT, 'scenarios/postcard.yaml'), ws);
    let next = 0;
    const accepted: number[] = [];
    await Promise.all(Array.from({ length: SESSIONS }, async () => {
      const s = await Submitter.open(submission);
      while (next < LOAD) {
        const n = next++;
        const reply = await s.send('alice@intellinet.example', 'sean@ntsol.example', message(n));
        expect(reply).toMatch(/^250 /);
        accepted.push(n);
      }
      s.close();
    }));
    expect(accepted).toHaveLength(LOAD);
    const delivered = await eventually(() => {
      const box = mailboxMessages(ws, 'ntsol', 'sean');
      return box.length >= LOAD ? box : undefined;
    }, 'every message in Sean\'s mailbox');
    const ids = new Set(delivered.map((m) => Number(/^X-Load-Id: (\d+)$/m.exec(m)?.[1])));
    expect(ids.size).toBe(LOAD);
    const entries = allEntries(ws, 'intellinet');
    expect(entries.filter((e) => e.attempts.some((a) => a.result !== 'delivered'))).toEqual([]);
    const q = await cli('queue', ws);
    expect(q.out).toBe('Mail queue is empty');
  }, 600_000);

  it('retries mail for a partner that is down on the real-time schedule, delivers when it returns, and resumes after a restart', async () => {
    const ws = tmp();
    const down = await downPartner();
    const port = down.port;
    const file = path.join(ws, 'down.yaml');
    fs.writeFileSync(file, fs.readFileSync(path.join(ROOT, 'scenarios/postcard.yaml'), 'utf8')
      .replace('nt: { domain: INTELLINET, crypto: us-128 }', 'nt: { domain: INTELLINET, crypto: us-128 }\n      queue: { retry: [10m] }')
      .replace('nt: { domain: NTSOL, crypto: export-40 }', `nt: { domain: NTSOL, crypto: export-40 }\n      external: { smtp: "127.0.0.1:${port}" }`)
      // An external partner's mailboxes are on its own server: the loader refuses to expect one in the lab.
      .replace(', mailbox: sean }', ' }'));
    const lab = path.join(ws, 'lab');
    // 600 times as fast: the 10-minute retry comes every second of real time.
    const first = await up(file, lab, ['--time-scale', '600']);
    const s = await Submitter.open(first.submission);
    expect(await s.send('alice@intellinet.example', 'sean@ntsol.example', message(1))).toMatch(/^250 /);
    s.close();
    // The partner is down: the entry is deferred, then retried with no one moving the clock.
    const retried = await eventually(() => {
      const e = allEntries(lab, 'intellinet')[0];
      return e && e.state === 'deferred' && e.attempts.length >= 2 ? e : undefined;
    }, 'a second attempt on the retry schedule');
    expect(retried.attempts.every((a) => a.result !== 'delivered')).toBe(true);
    expect((await cli('queue', lab)).out).toMatch(/INT\w+ +\d+ .*alice@intellinet\.example\n\(.+\)\n +sean@ntsol\.example/);

    // The lab is killed while the message waits; the partner comes back; a restart resumes the queue.
    first.child.proc.kill('SIGKILL');
    await new Promise((r) => first.child.proc.once('exit', r));
    const back = await down.comeBack();
    await up(file, lab, ['--time-scale', '600']);
    const got = await eventually(() => back.received.find((m) => m.includes('X-Load-Id: 1')), 'the message at the partner');
    expect(got).toContain('Subject: load 1');
    await eventually(() => allEntries(lab, 'intellinet')[0]?.state === 'delivered' || undefined, 'the entry recorded as delivered');
    expect(back.received).toHaveLength(1);
  }, 300_000);

  it('postcard-lab queue: --eml writes a stored message; --json lists entries; a bad folder is bad input', async () => {
    const ws = tmp();
    const { submission } = await up(path.join(ROOT, 'scenarios/postcard.yaml'), ws);
    const s = await Submitter.open(submission);
    const reply = await s.send('alice@intellinet.example', 'sean@ntsol.example', message(7));
    s.close();
    // Exchange 5.5's IMS answers a bare "250 OK" (no queue id, as its KB logs show): read the id from the queue.
    expect(reply).toMatch(/^250 /);
    await eventually(() => allEntries(ws, 'intellinet')[0]?.state === 'delivered' || undefined, 'delivery');
    const id = allEntries(ws, 'intellinet')[0].id;
    const chunks: Buffer[] = [];
    const { queueCommand } = await import('../../app/cli/queue.ts');
    const io = { out: () => {}, err: () => {}, interrupted: () => new Promise<void>(() => {}) };
    // The copy in Sean's mailbox, by the id his server's 250 named (in its Received field).
    const [stored] = mailboxMessages(ws, 'ntsol', 'sean');
    const seanId = /by mail\.ntsol\.example[^;]*?\sid (\S+);/.exec(stored)![1];
    expect(await queueCommand([ws, '--eml', seanId], io, (d) => chunks.push(d))).toBe(0);
    expect(Buffer.concat(chunks).toString()).toContain('X-Load-Id: 7');
    const json = JSON.parse((await cli('queue', ws, '--json', '--all')).out) as { id: string; state: string; size: number }[];
    expect(json).toEqual([expect.objectContaining({ id, state: 'delivered' })]);
    // A delivered entry still says how large its message was: the submitted bytes and Intellinet's
    // Received field, not yet NT Solutions' (which Sean's copy carries).
    expect(json[0].size).toBeGreaterThan(message(7).length);
    expect(json[0].size).toBeLessThan(Buffer.byteLength(stored));
    expect((await cli('queue', ws, '--eml', 'NOPE')).code).toBe(2);
    expect((await cli('queue', tmp())).code).toBe(2);
  }, 120_000);
});
