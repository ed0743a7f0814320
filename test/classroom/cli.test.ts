// `postcard-lab classroom`'s flags: a bad one is exit 2 with a line naming it; an address other
// than 127.0.0.1 gets a one-line warning; the links are printed once, the join link with a QR code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.ts';
import { parseListen } from '../../app/cli/classroom.ts';
import { parseLinks } from './helpers.ts';

const EMPTY = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-class-empty-'));
afterAll(() => fs.rmSync(EMPTY, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => { interrupt = resolve; });
  return { out, err, interrupt, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), interrupted: () => interrupted } };
}

describe('postcard-lab classroom', () => {
  it.each([
    [['--seats', '0'], '--seats takes 1 to 200, not 0'],
    [['--seats', 'many'], '--seats takes a whole number, not "many"'],
    [['--listen', 'localhost:80'], '--listen takes an IPv4 address and port'],
    [['--listen', '300.1.1.1:5318'], '--listen: 300.1.1.1 is not an IPv4 address'],
    [['--listen', '127.0.0.1:70000'], '--listen: port 70000 is above 65535'],
    [['--idle', '0'], '--idle takes 1 to 1440, not 0'],
    [['--scenario'], '--scenario needs a scenario id'],
    [['--scenario', 'no-such'], 'no loadable scenario "no-such"'],
    [['--seat', '3'], 'unknown option --seat (known: --listen, --seats, --idle, --capture, --scenario, --scenarios, --seed, --no-qr)'],
    [['lesson.yaml'], 'classroom takes no file arguments'],
    [['--scenarios', '/nonexistent-pcl-folder'], '--scenarios: cannot read /nonexistent-pcl-folder: no such file or folder'],
    [['--scenarios', EMPTY], `--scenarios: ${EMPTY} has no scenario files (*.yaml, *.yml) in it`],
  ])('refuses %j with exit 2 and says why', async (argv, message) => {
    const t = io();
    expect(await main(['classroom', ...argv], t.io)).toBe(2);
    expect(t.err[0]).toContain(`postcard-lab classroom: ${message}`);
  });

  it('reads --listen as ADDR[:PORT]', () => {
    expect(parseListen(undefined)).toEqual({ host: '127.0.0.1', port: 5318 });
    expect(parseListen('0.0.0.0')).toEqual({ host: '0.0.0.0', port: 5318 });
    expect(parseListen('192.168.1.10:8080')).toEqual({ host: '192.168.1.10', port: 8080 });
  });

  it('warns in one line when it listens on another address than 127.0.0.1, prints both links once and a QR code', async () => {
    const t = io();
    // 127.0.0.2 is still this machine's loopback, but not 127.0.0.1: the warning's case, without leaving the host.
    const done = main(['classroom', '--listen', '127.0.0.2:0', '--seats', '2', '--scenario', 'postcard'], t.io);
    await expect.poll(() => t.out.some((l) => l.startsWith('Serving on')), { timeout: 60_000, interval: 50 }).toBe(true);
    expect(t.err.filter((l) => l.startsWith('warning:'))).toEqual([expect.stringMatching(/^warning: listening on 127\.0\.0\.2:\d+ — every machine on the class network can reach this server/)]);
    const text = t.out.join('\n');
    const links = parseLinks(text)!;
    expect(links.origin).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect(text.split(links.code)).toHaveLength(2);
    expect(text.split(links.trainerToken)).toHaveLength(2);
    expect(text).toMatch(/[▀▄█]{7}/);
    t.interrupt();
    expect(await done).toBe(0);
  }, 90_000);
});
