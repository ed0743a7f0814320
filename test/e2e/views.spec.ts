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

/** Postcard at 1024×700, run through: a queue entry, a capture, a mailbox with mail. */
async function postcardRun(page: Page): Promise<void> {
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'postcard');
  await runAll(page);
}

test('1024×700: the queue\'s owner under its id is a line of text, not an organisation\'s card', async ({ page }) => {
  const problems = watchPage(page);
  await postcardRun(page);
  await page.getByRole('tab', { name: /^Queue/ }).click();
  const owner = page.getByRole('table', { name: 'Queue entries' }).locator('tbody tr').first().locator('td').first().locator('div');
  await expect(owner).toHaveText('intellinet');
  const look = await owner.evaluate((el) => {
    const s = getComputedStyle(el);
    return { border: s.borderTopWidth, padding: s.paddingTop, height: el.getBoundingClientRect().height, line: parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.5 };
  });
  expect(look.border, 'the owner has a border').toBe('0px');
  expect(look.padding, 'the owner is padded').toBe('0px');
  expect(look.height, 'the owner is taller than a line').toBeLessThanOrEqual(look.line + 1);
  await shots(page, 'queue-owner');
  expect(problems).toEqual([]);
});

test('1024×700: the display filter\'s placeholder is whole in its box beside the story', async ({ page }) => {
  const problems = watchPage(page);
  await postcardRun(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  const filter = page.getByLabel('Display filter');
  await expect(filter).toBeVisible();
  const fit = await filter.evaluate((el) => {
    const input = el as HTMLInputElement;
    const s = getComputedStyle(input);
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    return { text: ctx.measureText(input.placeholder).width, room: input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) };
  });
  expect(fit.text, `the placeholder (${fit.text} px) is cut in its box (${fit.room} px)`).toBeLessThanOrEqual(fit.room);
  await shots(page, 'packets-filter');
  expect(problems).toEqual([]);
});

test('1024×700: a Subject of one 400-letter word wraps in the message list and the reading pane; the tab does not scroll sideways', async ({ page }) => {
  const problems = watchPage(page);
  await postcardRun(page);
  const panel = page.getByRole('tabpanel');
  // Sent by hand, read in Sean's mailbox.
  const subject = `Quarterly${'x'.repeat(391)}`;
  await page.getByRole('tab', { name: 'Rehearse' }).click();
  const compose = page.getByRole('form', { name: 'Compose a message' });
  await compose.getByLabel('Subject').fill(subject);
  await compose.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('status').filter({ hasText: /queued at/ })).toBeVisible();
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await page.getByRole('button', { name: /^Mailbox sean@ntsol\.example/ }).click();
  const item = page.locator('.message-list .message .subject').filter({ hasText: 'Quarterly' });
  await expect(item).toBeVisible();
  await item.click();
  const reader = page.getByRole('region', { name: /^Message Quarterly/ });
  // (The lab tags each message's Subject with a canary after it.)
  await expect(reader.getByRole('heading', { level: 3 })).toContainText(subject);

  expect(await panel.evaluate((p) => p.scrollWidth - p.clientWidth), 'the Mailboxes tab scrolls sideways').toBeLessThanOrEqual(0);
  // Each Subject's text within its own box, and each box within the tab's visible width.
  const tab = (await panel.boundingBox())!;
  for (const [what, box] of [['the message list', item], ['the reading pane', reader.getByRole('heading', { level: 3 })]] as const) {
    expect(await box.evaluate((el) => el.scrollWidth - el.clientWidth), `the Subject runs out of its line in ${what}`).toBeLessThanOrEqual(0);
    const b = (await box.boundingBox())!;
    expect(b.x + b.width, `the Subject in ${what} is wider than the tab`).toBeLessThanOrEqual(tab.x + tab.width);
  }
  const mailboxes = (await page.getByRole('navigation', { name: 'Mailboxes' }).boundingBox())!;
  expect(mailboxes.x, 'the mailboxes went off the tab\'s left edge').toBeGreaterThanOrEqual((await panel.boundingBox())!.x);
  await shots(page, 'mailbox-long-subject');
  expect(problems).toEqual([]);
});
