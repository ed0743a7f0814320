/**
 * Ctrl+C (SIGINT) and SIGTERM during `postcard-lab run`, sent to the real command in a child
 * process while its second scenario waits on a partner that never answers: the scenario ends as an
 * error at that step, every report is written with what ran and what did not, the temporary
 * workspace goes (a --workspace stays), and the exit code is 130 / 143. A second signal ends it
 * at once even when the first one's work is stuck (docs/cli.md, "`postcard-lab run`").
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cli, cliChild, ROOT, type Run } from '../helpers/cli.ts';

/** A partner that takes the connection and never says a word: the lab's `expect` waits on it. */
let silent: net.Server;
const held: net.Socket[] = [];
beforeAll(async () => {
  silent = net.createServer((socket) => {
    held.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-run-signal-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** first (passes), hangs (its step 2 waits on the silent partner), third (never started). */
function suite(dir: string): string {
  const folder = path.join(dir, 'suite');
  fs.mkdirSync(folder);
  const postcard = fs.readFileSync(path.join(ROOT, 'scenarios/postcard.yaml'), 'utf8');
  fs.writeFileSync(path.join(folder, 'a.yaml'), postcard.replace('id: postcard', 'id: first'));
  fs.writeFileSync(path.join(folder, 'b.yaml'), `
id: hangs
title: The partner never answers
lab:
  settings: { timeout: 10m }
  orgs:
    - { id: a, domain: a.example, users: [ann], hosts: [{ name: mail.a.example, address: 192.0.2.1 }] }
    - { id: s, domain: s.example, users: [sam], external: { smtp: "127.0.0.1:${(silent.address() as net.AddressInfo).port}" } }
steps:
  - send: { id: m1, from: ann@a.example, to: sam@s.example, subject: Hello, body: Hi }
  - expect: { message: m1, outcome: delivered }
  - expect: { message: m1, wire: cleartext }
`);
  fs.writeFileSync(path.join(folder, 'c.yaml'), postcard.replace('id: postcard', 'id: third'));
  return folder;
}

/** Resolves once `test` holds, looking every 50 ms; fails naming `what` after `ms`, with the child's stderr. */
async function until(what: string, test: () => boolean, child: Run, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !test(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end || child.proc.exitCode !== null) throw new Error(`${what} did not happen; stderr:\n${child.err()}`);
  }
}

/** The run's own temporary workspaces in `tmpdir`. */
const runWorkspaces = (tmpdir: string) => fs.readdirSync(tmpdir).filter((f) => f.startsWith('postcard-lab'));

describe('postcard-lab run, interrupted', () => {
  it('SIGINT: the scenario running ends as an error at its step, every report holds what ran, the temporary workspace goes, exit 130', async () => {
    const dir = tmp();
    const tmpdir = path.join(dir, 'tmp');
    fs.mkdirSync(tmpdir);
    const reports = path.join(dir, 'reports');
    const connections = held.length;
    const child = cliChild(['run', suite(dir), '--junit', path.join(reports, 'run.xml'), '--json', path.join(reports, 'run.json'), '--html', path.join(reports, 'run.html')], { TMPDIR: tmpdir });
    // The silent partner has the lab's connection: step 2 of `hangs` is waiting.
    await until('a connection to the silent partner', () => held.length > connections, child);
    const [own] = runWorkspaces(tmpdir);
    expect(own).toMatch(/^postcard-lab-run-/);
    expect(fs.readdirSync(path.join(tmpdir, own))).toEqual(['hangs']);
    child.proc.kill('SIGINT');
    const r = await child.exited;

    expect([r.code, r.signal]).toEqual([130, null]);
    expect(r.err).toContain('postcard-lab run: SIGINT: ending the scenario now running and writing the reports with what ran');
    expect(r.err).toContain('    step 2 expect m1 delivered: error: interrupted by SIGINT');
    // The step left waiting holds nothing: the process ends with the command (no "still open 3 s after").
    expect(r.err).not.toContain('still open');
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PASS first /);
    expect(lines[1]).toMatch(/^ERROR hangs \(.*b\.yaml\) \d+ ms — step 2 \(expect m1 delivered\): interrupted by SIGINT$/);
    expect(lines[2]).toMatch(/^SKIP third \(.*c\.yaml\) — not run: interrupted by SIGINT$/);
    expect(lines[3]).toBe('1 passed, 1 failed, 1 not run');
    expect(runWorkspaces(tmpdir)).toEqual([]);

    const junit = fs.readFileSync(path.join(reports, 'run.xml'), 'utf8');
    expect(junit).toContain('<testsuites name="postcard-lab" tests="6" failures="0" errors="1" skipped="3">');
    expect(junit).toContain('<testcase classname="hangs" name="2. expect m1 delivered"><error message="interrupted by SIGINT">interrupted by SIGINT</error></testcase>');
    expect(junit).toContain('<testcase classname="hangs" name="3. expect m1 cleartext"><skipped message="not run: the run was interrupted at step 2"/></testcase>');
    expect(junit).toMatch(/<testsuite name="third" tests="2" failures="0" errors="0" skipped="2"/);
    const json = JSON.parse(fs.readFileSync(path.join(reports, 'run.json'), 'utf8'));
    expect(json.interrupted).toBe('SIGINT');
    expect(json.scenarios.map((s: { id: string; status: string; steps: { status: string }[] }) => [s.id, s.status, s.steps.map((x) => x.status)])).toEqual([
      ['first', 'passed', ['passed', 'passed', 'passed']],
      ['hangs', 'error', ['passed', 'error', 'skipped']],
      ['third', 'skipped', ['skipped', 'skipped', 'skipped']],
    ]);
    expect(json.scenarios[1].error).toBe('step 2 (expect m1 delivered): interrupted by SIGINT');
    const page = fs.readFileSync(path.join(reports, 'run.html'), 'utf8');
    expect(page).toContain('<h1>Postcard Lab: 1 passed, 1 failed, 1 not run</h1>');
    expect(page).toContain('The run was interrupted by SIGINT: the scenario it was running ended as an error, and 1 scenario was not run.');
    expect(page).toMatch(/<section id="scenario-third" class="skipped"[^\n]*\n[^\n]*\n\s*<p class="meta"><span class="status">– skipped<\/span> · <code>third<\/code> · seed 7 · [\s\S]*?Run it: <code>postcard-lab run \S+c\.yaml --seed 7<\/code>/);
  }, 120_000);

  it('SIGTERM: exit 143, and a workspace given with --workspace is kept with what the lab had queued', async () => {
    const dir = tmp();
    const ws = path.join(dir, 'ws');
    const connections = held.length;
    const child = cliChild(['run', suite(dir), '--workspace', ws]);
    await until('a connection to the silent partner', () => held.length > connections, child);
    child.proc.kill('SIGTERM');
    const r = await child.exited;
    expect([r.code, r.signal]).toEqual([143, null]);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed, 1 not run');
    expect(fs.readdirSync(ws).sort()).toEqual(['first', 'hangs']);
    // The tester can look at what the interrupted lab held.
    const queue = await cli('queue', path.join(ws, 'hangs'));
    expect(queue.code).toBe(0);
    expect(queue.out).toMatch(/ann@a\.example\n[\s\S]*sam@s\.example/);
  }, 120_000);

  it('a second SIGINT ends the run at once, even when the first one\'s work is stuck, and still removes the temporary workspace', async () => {
    const dir = tmp();
    const tmpdir = path.join(dir, 'tmp');
    fs.mkdirSync(tmpdir);
    // The interrupted scenario's capture goes to a pipe nobody reads: writing it never finishes.
    const pcap = path.join(dir, 'pcap');
    fs.mkdirSync(pcap);
    execFileSync('mkfifo', [path.join(pcap, 'hangs.pcapng')]);
    const junit = path.join(dir, 'run.xml');
    const connections = held.length;
    const child = cliChild(['run', suite(dir), '--pcap', pcap, '--junit', junit], { TMPDIR: tmpdir });
    await until('a connection to the silent partner', () => held.length > connections, child);
    child.proc.kill('SIGINT');
    await until('the first interrupt\'s notice', () => child.err().includes('SIGINT: ending the scenario now running'), child);
    await new Promise((r) => setTimeout(r, 1000));
    // Stuck on the capture: still running a second later, no report written.
    expect(child.proc.exitCode).toBeNull();
    expect(fs.existsSync(junit)).toBe(false);
    const sent = Date.now();
    child.proc.kill('SIGINT');
    const r = await child.exited;
    expect(Date.now() - sent).toBeLessThan(5_000);
    // Ended by the signal itself, as a shell reports it (130).
    expect([r.code, r.signal]).toEqual([null, 'SIGINT']);
    expect(r.err).toContain('postcard-lab run: SIGINT again: exiting at once, no report written');
    expect(fs.existsSync(junit)).toBe(false);
    expect(runWorkspaces(tmpdir)).toEqual([]);
  }, 120_000);
});
