/**
 * The desktop app itself, in the real Electron binary (docs/lab.md, "Quality bars": Electron-only tests skip with
 * one line where no binary is present — it cannot be downloaded on these machines). Where it is
 * installed: launch it under a display, check the window's web preferences and that the UI works.
 */
import { test, expect, _electron as electron } from '@playwright/test';
import path from 'node:path';
import { buildApp, electronBinary } from '../../scripts/start.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const binary = electronBinary(root);
const why = !binary ? 'the Electron binary is not installed (node_modules/electron/dist is missing and cannot be downloaded here)'
  : !process.env.DISPLAY ? 'there is no X display for Electron (run under xvfb-run)' : undefined;
if (why) console.log(`Electron desktop test skipped: ${why}`);
test.skip(why !== undefined, why);

test('the desktop app opens sandboxed, isolated, and shows the scenario picker', async () => {
  await buildApp(root);
  const app = await electron.launch({ executablePath: binary, args: [root] });
  try {
    const window = await app.firstWindow();
    // Isolation as the page sees it: no Node, no require, only the preload's domain functions.
    const seen = await window.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      api: typeof (globalThis as { postcard?: { listScenarios?: unknown } }).postcard?.listScenarios,
    }));
    expect(seen).toEqual({ require: 'undefined', process: 'undefined', api: 'function' });
    await expect(window.getByRole('heading', { name: /scenarios/i })).toBeVisible();
  } finally {
    await app.close();
  }
});
