// The capture budget in the packet view (docs/packet-view.md "Capture budget"): a lab whose
// settings.captureLimit is 64 KiB carries a 200 kB message; the packet view says how many packets
// and bytes went, and still shows the newest message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { serve, openFromList, watchPage, type Served } from './serve.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const POSTCARD = fs.readFileSync(path.join(root, 'scenarios', 'postcard.yaml'), 'utf8');

let served: Served;
let dir: string;
test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-e2e-budget-'));
  const lab = POSTCARD.replace('id: postcard', 'id: budget')
    .replace('title: Email between servers travels like a postcard', 'title: A small capture budget')
    .replace('  seed: 7\n', '  seed: 7\n  settings: { captureLimit: 65536 }\n');
  const steps = lab.slice(0, lab.indexOf('steps:')) + [
    'steps:',
    '  - send: { id: big, from: alice@intellinet.example, to: sean@ntsol.example, subject: Big, body: "' + 'x'.repeat(200_000) + '" }',
    '  - expect: { message: big, outcome: delivered }',
    '  - send: { id: last, from: alice@intellinet.example, to: sean@ntsol.example, subject: Newest, body: "the last one" }',
    '  - expect: { message: last, outcome: delivered }',
    '',
  ].join('\n');
  fs.mkdirSync(path.join(dir, 'scenarios'));
  fs.writeFileSync(path.join(dir, 'scenarios', 'budget.yaml'), steps);
  served = await serve(['--scenarios', path.join(dir, 'scenarios')]);
  fs.mkdirSync('test-results', { recursive: true });
});
test.afterAll(async () => {
  expect(await served.stop(), served.output()).toBe(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a 200 kB message in a 64 KiB budget: the packet view counts the dropped packets and bytes and keeps the newest', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await openFromList(page, served.url, 'budget');
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByText('4 passed')).toBeVisible({ timeout: 30_000 });
  await page.getByRole('tab', { name: 'Packets' }).click();
  const footer = page.locator('.pl-status');
  await expect(footer).toContainText(/Dropped: [1-9]\d* \(\d+\.\d kB\)/);
  await expect(page.locator('.cp-dropped')).toContainText(/[1-9]\d* dropped \(\d+\.\d kB\)/);
  // The newest message is still there to read.
  const box = page.getByRole('textbox', { name: 'Display filter' });
  await box.fill('imf.subject contains "Newest"');
  await box.press('Enter');
  await expect(footer).toContainText('Displayed: 1');
  await page.screenshot({ path: 'test-results/capture-budget-light.png' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: 'test-results/capture-budget-dark.png' });
  expect(problems).toEqual([]);
});
