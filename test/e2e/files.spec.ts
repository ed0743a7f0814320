// Scenario files in the browser UI (docs/authoring.md): open a file the test writes (valid; three
// errors shown at their positions), drag and drop, change a lab in the UI and save it as a scenario
// that `postcard-lab run` passes, and the reload when the open file changes on disk.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { test, expect, type Page } from '@playwright/test';
import { serve, type Served, watchPage } from './serve.ts';
import { fillNtlmEntry } from './ims.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const POSTCARD = fs.readFileSync(path.join(root, 'scenarios', 'postcard.yaml'), 'utf8');
const BROKEN = POSTCARD
  .replace('      profile: exchange-5.5\n      nt: { domain: INTELLINET', '      profile: exchange-9\n      nt: { domain: INTELLINET')
  .replace('      users: [sean]', '      users: [sean]\n      colour: blue')
  .replace('outcome: delivered, wire: cleartext', 'outcome: arrived, wire: cleartext');

/** 1-based line and column of `needle` in `text`: where the UI must point. */
function at(text: string, needle: string): { line: number; column: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  return { line: line + 1, column: lines[line].indexOf(needle) + 1 };
}

let served: Served;
let dir: string;
let scenariosDir: string;
test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-e2e-files-'));
  scenariosDir = path.join(dir, 'scenarios');
  fs.mkdirSync(scenariosDir);
  fs.writeFileSync(path.join(scenariosDir, 'watched.yaml'), POSTCARD.replace('id: postcard', 'id: watched'));
  fs.copyFileSync(path.join(root, 'scenarios', 'ntlm-one-way.yaml'), path.join(scenariosDir, 'ntlm-one-way.yaml'));
  fs.writeFileSync(path.join(dir, 'mine.yaml'), POSTCARD.replace('title: Email between servers travels like a postcard', 'title: My own postcard lab'));
  fs.writeFileSync(path.join(dir, 'broken.yaml'), BROKEN);
  served = await serve(['--scenarios', scenariosDir]);
  fs.mkdirSync('test-results', { recursive: true });
});
test.afterAll(async () => {
  expect(await served.stop(), served.output()).toBe(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function pick(page: Page, file: string) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Open…' }).click()]);
  await chooser.setFiles(file);
}

test('opens a scenario file from disk; a file with three mistakes shows each at its line and column', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(served.url);
  await pick(page, path.join(dir, 'mine.yaml'));
  await expect(page.getByRole('heading', { level: 1, name: 'My own postcard lab' })).toBeVisible();
  await expect(page.getByText('Lab running')).toBeVisible();

  await pick(page, path.join(dir, 'broken.yaml'));
  const panel = page.getByRole('region', { name: 'Scenario file errors' });
  await expect(panel.getByRole('heading')).toHaveText('broken.yaml does not validate: 3 errors');
  const items = panel.getByRole('listitem');
  await expect(items).toHaveCount(3);
  const expected = [
    [at(BROKEN, 'exchange-9'), 'lab.orgs[0].profile', 'exchange-9'],
    [at(BROKEN, 'colour: blue'), 'lab.orgs[1].colour', 'colour: blue'],
    [at(BROKEN, 'arrived'), 'steps[1].expect.outcome', 'arrived'],
  ] as const;
  for (const [i, [pos, keyPath, needle]] of expected.entries()) {
    await expect(items.nth(i)).toContainText(`line ${pos.line}, column ${pos.column}`);
    await expect(items.nth(i)).toContainText(keyPath);
    // The line itself, with a caret under the mistake.
    const excerpt = await items.nth(i).getByLabel(`line ${pos.line}`).textContent();
    const [source, caret] = excerpt!.split('\n');
    expect(source.slice(caret.indexOf('^'))).toMatch(new RegExp(`^${needle}`));
  }
  // Nothing changed: the valid scenario still runs.
  await expect(page.getByRole('heading', { level: 1, name: 'My own postcard lab' })).toBeVisible();
  await page.screenshot({ path: 'test-results/files-errors.png', fullPage: true });

  // Drag and drop: a dropped file opens the same way.
  const dropped = await page.evaluateHandle((text) => {
    // Runs in the page, where DataTransfer exists.
    const dt = new (globalThis as unknown as { DataTransfer: new () => { items: { add(f: unknown): void } } }).DataTransfer();
    dt.items.add(new File([text], 'dropped.yaml', { type: 'application/yaml' }));
    return dt;
  }, POSTCARD.replace('title: Email between servers travels like a postcard', 'title: Dropped on the window'));
  await page.dispatchEvent('main', 'dragover', { dataTransfer: dropped });
  await page.dispatchEvent('main', 'drop', { dataTransfer: dropped });
  await expect(page.getByRole('heading', { level: 1, name: 'Dropped on the window' })).toBeVisible();
  await expect(panel).toBeHidden();
  // Opened the same way means its lab starts too; the next test finds the server idle, not still
  // starting this lab (which it would refuse as busy).
  await expect(page.getByText('Lab running')).toBeVisible();
  expect(problems).toEqual([]);
});

test('a lab changed in the UI is saved as a scenario, and `postcard-lab run` passes on the saved file', async ({ page }) => {
  const problems = watchPage(page);
  await page.goto(served.url);
  await page.getByRole('button', { name: /^Open scenario ntlm-one-way:/ }).click();
  await expect(page.getByText('Lab running')).toBeVisible();

  // The administrator's change: NTLM towards ntsol.example with the DOUG account, in the IMS dialog.
  const dialog = await fillNtlmEntry(page);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();
  // The messages of the story, sent on the changed lab.
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByText('6 passed')).toBeVisible();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save lab as scenario' }).click()]);
  expect(download.suggestedFilename()).toBe('ntlm-one-way-recorded.yaml');
  const saved = path.join(dir, download.suggestedFilename());
  await download.saveAs(saved);
  await expect(page.getByRole('status', { name: 'Scenario saved' })).toContainText('ntlm-one-way-recorded.yaml');
  await page.screenshot({ path: 'test-results/files-saved.png', fullPage: true });

  const yaml = fs.readFileSync(saved, 'utf8');
  expect(yaml).toMatch(/method: ntlm/);
  expect(yaml).toMatch(/user: DOUG/);
  const bin = path.join(root, 'bin', 'postcard-lab.mjs');
  const validate = await promisify(execFile)(process.execPath, [bin, 'validate', saved]);
  expect(validate.stdout).toMatch(/^ok /);
  const run = await promisify(execFile)(process.execPath, [bin, 'run', saved], { cwd: root });
  expect(run.stdout).toMatch(/1 passed, 0 failed/);
  expect(problems).toEqual([]);
});

test('the open file changed on disk: a story edit is applied and the lab kept; a lab edit asks, then restarts', async ({ page }) => {
  const problems = watchPage(page);
  const file = path.join(scenariosDir, 'watched.yaml');
  const original = fs.readFileSync(file, 'utf8');
  await page.goto(served.url);
  await page.getByRole('button', { name: /^Open scenario watched:/ }).click();
  await expect(page.getByText('Lab running')).toBeVisible();
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  await page.getByRole('button', { name: 'Next step' }).click();
  await expect(steps.nth(0)).toHaveAttribute('aria-label', /— passed$/);

  fs.writeFileSync(file, original.replace('Alice at Intellinet writes to Sean', 'Alice at Intellinet (story edited on disk) writes to Sean'));
  await expect(page.getByRole('status', { name: 'Scenario file reloaded' })).toContainText('the story was reloaded; the lab keeps running');
  await expect(page.getByText('story edited on disk')).toBeVisible();
  await expect(steps.nth(0)).toHaveAttribute('aria-label', /— passed$/);
  await expect(page.getByText('Lab running')).toBeVisible();
  await page.screenshot({ path: 'test-results/files-story-reloaded.png', fullPage: true });

  fs.writeFileSync(file, original.replace('users: [sean]', 'users: [sean, pat]'));
  const ask = page.getByRole('alertdialog', { name: 'Scenario file changed on disk' });
  await expect(ask).toContainText('changed on disk, and so did its lab or steps');
  await expect(steps.nth(0)).toHaveAttribute('aria-label', /— passed$/);
  await page.screenshot({ path: 'test-results/files-lab-changed.png', fullPage: true });
  await ask.getByRole('button', { name: 'Reload and restart lab' }).click();
  await expect(ask).toBeHidden();
  await expect(page.getByText('Lab running')).toBeVisible();
  await expect(steps.nth(0)).not.toHaveAttribute('aria-label', /— passed$/);
  await expect(page.getByRole('article', { name: 'ntsol.example' })).toContainText('pat');

  // Dark theme, at the smallest supported size.
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.getByLabel('Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.screenshot({ path: 'test-results/files-dark.png' });
  expect(problems).toEqual([]);
});
