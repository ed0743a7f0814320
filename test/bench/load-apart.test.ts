import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchLoadApart } from '../../app/bench/load.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-load-apart-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A figure's process that misbehaves as `body` says, after saying it is ready. */
function child(name: string, body: string): string {
  const file = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(file, `process.send({ type: 'ready' });\nprocess.once('message', () => { ${body} });\n`);
  return file;
}

describe('the load figure in a process of its own', () => {
  it('runs the lab in a child process and brings back its figure and its progress lines', { timeout: 60_000 }, async () => {
    const lines: string[] = [];
    const figure = await benchLoadApart({ messages: 60, sessions: 10, via: 'direct', progress: (l) => lines.push(l) });
    expect(figure).toMatchObject({ messages: 60, accepted: 60, delivered: 60, deferred: 0 });
    expect(figure.liveEndMB).toBeGreaterThan(0);
    expect(lines[0]).toBe('up: 60 messages over 10 sessions');
  });

  it('fails with the reason when the figure cannot be taken, and when the process ends without one', async () => {
    const options = { messages: 1, sessions: 1, via: 'direct' as const, progress: () => undefined };
    await expect(benchLoadApart(options, { child: child('failed', "process.send({ type: 'failed', error: 'port in use' }, () => process.exit(0));") }))
      .rejects.toThrow("the up figure's process failed: port in use");
    await expect(benchLoadApart(options, { child: child('dies', 'process.exit(3);') }))
      .rejects.toThrow("the up figure's process ended (exit code 3) without a figure");
  });

  it('starts its TypeScript child from any current folder (tsx resolved from the package, not the folder)', async () => {
    // A .ts child (type annotations: it runs only under tsx) that reports a failure the test can read.
    const file = path.join(dir, 'typed.ts');
    fs.writeFileSync(file, "const why: string = 'ran under tsx';\nprocess.send!({ type: 'ready' });\nprocess.once('message', () => { process.send!({ type: 'failed', error: why }, () => process.exit(0)); });\n");
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await expect(benchLoadApart({ messages: 1, sessions: 1, via: 'direct', progress: () => undefined }, { child: file }))
        .rejects.toThrow("the up figure's process failed: ran under tsx");
    } finally {
      process.chdir(cwd);
    }
  });
});
