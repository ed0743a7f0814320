// `postcard-lab serve` in-process (app/cli/serve.ts), through the same `main` the bin calls.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../app/cli/main.ts';
import { openerFor } from '../../app/cli/serve.ts';
import type { CliIo } from '../../app/cli/io.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

const EMPTY = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-serve-empty-'));
afterAll(() => fs.rmSync(EMPTY, { recursive: true, force: true }));

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  let interrupt = () => {};
  let printed: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (printed = resolve));
  const io: CliIo = {
    out: (line) => {
      out.push(line);
      const m = /^Postcard Lab UI: (\S+)$/.exec(line);
      if (m) printed(m[1]);
    },
    err: (line) => err.push(line),
    interrupted: () => new Promise<void>((resolve) => (interrupt = resolve)),
  };
  return { io, out, err, url, interrupt: () => interrupt() };
}

describe('postcard-lab serve', () => {
  it('prints its URL, serves until interrupted, and --open without a display only says so', async () => {
    vi.stubEnv('DISPLAY', '');
    vi.stubEnv('WAYLAND_DISPLAY', '');
    const f = fakeIo();
    const exit = main(['serve', '--port', '0', '--open'], f.io);
    const url = await f.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const fetchHead = (address: string) => new Promise<http.IncomingMessage>((resolve, reject) => http.get(address, (res) => { res.resume(); resolve(res); }).on('error', reject));
    // The printed address trades its token for a cookie; the bare address is refused.
    const first = await fetchHead(url);
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    expect((await fetchHead(url.replace(/\?token=.*$/, ''))).statusCode).toBe(403);
    expect(f.err).toContain('(--open: no display here; open the URL above in a browser)');
    f.interrupt();
    expect(await exit).toBe(0);
  });

  it.each([
    [['serve', '--port', 'eighty'], '--port takes a whole number'],
    [['serve', '--port', '70000'], '--port takes 0 to 65535'],
    [['serve', 'extra.yaml'], 'serve takes no file arguments'],
    [['serve', '--host', '0.0.0.0'], 'unknown option --host'],
    // A scenarios folder that is not there, is a file, or holds no scenario: said at start, not a UI with an empty list.
    [['serve', '--port', '0', '--scenarios', '/nonexistent-pcl-folder'], 'postcard-lab serve: --scenarios: cannot read /nonexistent-pcl-folder: no such file or folder'],
    [['serve', '--port', '0', '--scenarios', '/etc/hostname'], 'postcard-lab serve: --scenarios: /etc/hostname is a file, not a folder'],
    [['serve', '--port', '0', '--scenarios', EMPTY], `postcard-lab serve: --scenarios: ${EMPTY} has no scenario files (*.yaml, *.yml) in it`],
  ])('refuses %j with exit 2', async (argv, message) => {
    const f = fakeIo();
    expect(await main(argv, f.io)).toBe(2);
    expect(f.err.join('\n')).toContain(message);
  });

  it('asks the desktop to open the URL only where there is one', () => {
    expect(openerFor('linux', {})).toBeUndefined();
    expect(openerFor('linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(openerFor('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(openerFor('darwin', {})).toEqual({ command: 'open', args: [] });
  });
});
