/**
 * `run --workspace DIR` on a folder that already holds a scenario's lab: refused, naming the
 * workspace and what it holds, unless `--resume` asks to carry on from it (docs/cli.md,
 * "`postcard-lab run`": a regression run starts every lab afresh).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli, ROOT } from '../helpers/cli.ts';

const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-run-ws-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const scenario = (name: string) => path.join(ROOT, 'scenarios', name);

describe('postcard-lab run --workspace on a workspace that holds a lab', () => {
  it('refuses before any lab runs, one line per workspace with what it holds; --resume carries on and says so', async () => {
    const ws = tmp();
    const files = [scenario('postcard.yaml'), scenario('cert-expired.yaml')];
    const first = await cli('run', ...files, '--workspace', ws);
    expect(first.code, first.err).toBe(0);

    const again = await cli('run', ...files, '--workspace', ws);
    expect(again.code).toBe(2);
    expect(again.out).toBe(''); // nothing ran
    const lines = again.err.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `postcard-lab run: --workspace: ${path.join(ws, 'postcard')} already holds a lab's state (0 queued messages, 1 delivered or bounced, 1 message in mailboxes, lab clock at 2026-11-28T09:00:00.000Z)`,
      `postcard-lab run: --workspace: ${path.join(ws, 'cert-expired')} already holds a lab's state (1 queued message, 2 delivered or bounced, 2 messages in mailboxes, lab clock at 2028-01-02T09:00:00.000Z)`,
      'postcard-lab run: --workspace: a run starts every lab afresh; remove those workspaces or give another folder, or add --resume to carry on from them',
    ]);

    const resumed = await cli('run', scenario('postcard.yaml'), '--workspace', ws, '--resume');
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err.split('\n')[0]).toBe(`postcard-lab run: --resume: carrying on from the lab in ${path.join(ws, 'postcard')} (0 queued messages, 1 delivered or bounced, 1 message in mailboxes, lab clock at 2026-11-28T09:00:00.000Z)`);
    // It did carry on: the queue holds the earlier run's message and this one's.
    const queue = await cli('queue', path.join(ws, 'postcard'), '--all', '--json');
    expect(JSON.parse(queue.out).map((r: { state: string }) => r.state)).toEqual(['delivered', 'delivered']);
  }, 120_000);

  it('takes a workspace folder with other scenarios\' labs in it, and refuses --resume without --workspace', async () => {
    const ws = tmp();
    expect((await cli('run', scenario('postcard.yaml'), '--workspace', ws)).code).toBe(0);
    const other = await cli('run', scenario('cert-expired.yaml'), '--workspace', ws);
    expect([other.code, other.err.includes('already holds')]).toEqual([0, false]);
    const alone = await cli('run', scenario('postcard.yaml'), '--resume');
    expect([alone.code, alone.err.split('\n')[0]]).toEqual([2, 'postcard-lab run: --resume carries on from the labs kept in --workspace DIR; give --workspace']);
  }, 120_000);
});
