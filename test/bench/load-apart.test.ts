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
});
