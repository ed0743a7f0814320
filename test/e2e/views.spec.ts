/// <reference lib="dom" />
// The window around the views at 1024×700 (docs/ui.md, "Dialogs, menus and the Rehearse tab"): the
// Export menu closes as a menu does, each tab opens at its top, and what a view holds stays inside
// it — the queue's owner a line of text, a one-word Subject wrapped, the filter's placeholder whole.
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';

const served = servePerFile();
const SMALL = { width: 1024, height: 700 };

test.beforeAll(() => fs.mkdirSync('test-results', { recursive: true }));

const steps = (page: Page) => page.getByRole('list', { name: 'Steps' }).getByRole('listitem');

async function runAll(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(steps(page).last()).toHaveAttribute('aria-label', /— passed$/);
}

async function theme(page: Page, choice: 'light' | 'dark'): Promise<void> {
  await page.getByLabel('Theme').selectOption(choice);
  await expect(page.locator('html')).toHaveAttribute('data-theme', choice);
}

async function shots(page: Page, name: string): Promise<void> {
  for (const choice of ['light', 'dark'] as const) {
    await theme(page, choice);
    await page.screenshot({ path: `test-results/views-${name}-1024x700-${choice}.png` });
  }
}

test('the Export menu closes after a download, on a click outside it (which still lands), on Escape and when focus leaves it', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'postcard');
  await runAll(page);
  const menu = page.getByRole('navigation', { name: 'File' }).locator('details.exports');
  const summary = menu.locator('summary');
  const transcripts = menu.getByRole('link', { name: 'Transcripts' });

  // A choice: the file downloads, and the menu closes.
  await summary.click();
  await expect(transcripts).toBeVisible();
  await shots(page, 'export-open');
  const download = page.waitForEvent('download');
  await transcripts.click();
  expect((await download).suggestedFilename()).toMatch(/transcripts/);
  await expect(menu).not.toHaveAttribute('open');
  await expect(transcripts).toBeHidden();

  // A click outside: on a tab beside it, which opens; the tabs it lay over are uncovered.
  await summary.click();
  await expect(transcripts).toBeVisible();
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(menu).not.toHaveAttribute('open');
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('tab', { name: 'Transcript' }).click();
  await expect(page.getByRole('tab', { name: 'Transcript' })).toHaveAttribute('aria-selected', 'true');
  await shots(page, 'export-closed');

  // Escape, from inside the menu: closed, and the keyboard is back on Export.
  await summary.click();
  await transcripts.focus();
  await page.keyboard.press('Escape');
  await expect(menu).not.toHaveAttribute('open');
  await expect(summary).toBeFocused();

  // Tab past its last item: closed.
  await summary.press('Enter');
  await expect(menu).toHaveAttribute('open');
  await menu.getByRole('link', { name: 'Report (HTML)' }).focus();
  await page.keyboard.press('Tab');
  await expect(menu).not.toHaveAttribute('open');

  // A click on Export itself still toggles it.
  await summary.click();
  await expect(menu).toHaveAttribute('open');
  await summary.click();
  await expect(menu).not.toHaveAttribute('open');
  expect(problems).toEqual([]);
});

test('each tab opens at its top, whatever the last tab was scrolled to', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'ntlm-one-way');
  const panel = page.getByRole('tabpanel');
  const scrollDown = () => panel.evaluate((p) => { p.scrollTop = p.scrollHeight; return p.scrollTop; });
  const scrolled = () => panel.evaluate((p) => p.scrollTop);

  // Topology, scrolled down to the organisation cards.
  expect(await scrollDown(), 'the Topology tab does not scroll: nothing to measure').toBeGreaterThan(100);
  await page.getByRole('tab', { name: 'Rehearse' }).click();
  await expect(page.getByRole('heading', { name: 'Send a message' })).toBeVisible();
  expect(await scrolled(), 'Rehearse opened scrolled').toBe(0);
  await expect(page.getByRole('heading', { name: 'Send a message' })).toBeInViewport({ ratio: 1 });
  await shots(page, 'rehearse-top');

  // And back: Rehearse scrolled down, then Topology opens on its picture's heading.
  expect(await scrollDown(), 'the Rehearse tab does not scroll at 1024×700: nothing to measure').toBeGreaterThan(0);
  await page.getByRole('tab', { name: 'Topology' }).click();
  await expect(page.getByRole('heading', { name: 'The path' })).toBeVisible();
  expect(await scrolled(), 'Topology opened scrolled').toBe(0);
  await expect(page.getByRole('heading', { name: 'The path' })).toBeInViewport({ ratio: 1 });

  // The same tab chosen again keeps its place (nothing opened).
  const at = await scrollDown();
  await page.getByRole('tab', { name: 'Topology' }).click();
  expect(await scrolled()).toBe(at);
  expect(problems).toEqual([]);
});
