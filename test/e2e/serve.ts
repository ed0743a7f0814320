// Start `postcard-lab serve --port 0` as a user would, and read its URL from stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Served {
  /** The address serve printed, with this run's token: what a user opens (and what tests `goto`). */
  url: string;
  /** The same address without the token (`http://127.0.0.1:P/`), where the first load redirects to. */
  origin: string;
  token: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

export function serve(args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'postcard-lab.mjs'), 'serve', '--port', '0', ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' },
  });
  let out = '';
  const stop = () => new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Postcard Lab UI: (http:\/\/127\.0\.0\.1:\d+\/)\?token=([A-Za-z0-9_-]{43})\n/.exec(out);
      if (m) resolve({ url: `${m[1]}?token=${m[2]}`, origin: m[1], token: m[2], child, output: () => out, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before printing its URL:\n${out}`)));
  });
}

/**
 * One `serve` per spec file: started before its tests, stopped (and expected to exit 0) after
 * them. Returns a getter, since the server exists only once the suite has started.
 */
export function servePerFile(): () => Served {
  let served: Served | undefined;
  test.beforeAll(async () => {
    served = await serve();
    fs.mkdirSync('test-results', { recursive: true });
  });
  test.afterAll(async () => {
    expect(await served!.stop(), served!.output()).toBe(0);
  });
  return () => served!;
}

/** Browser errors and CSP violations end up here; every test expects none. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

/** From the scenario list (a bare address always shows it), open scenario `id` and wait for its lab. */
export async function openFromList(page: Page, url: string, id: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: new RegExp(`^Open scenario ${id}:`) }).click();
  await expect(page.getByText('Lab running')).toBeVisible({ timeout: 30_000 });
}
