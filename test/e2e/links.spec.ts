// Issue 17 items 7 and 8 in a real browser: the bounce → transcript line → packet chain highlights
// its target both ways (docs/packet-view.md, "Links"), and an error names the middlebox that acted
// (docs/ui.md). Screenshots at 1024×700 and 1440×900, light and dark, under test-results/.
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage as watch } from './serve.ts';
import { axe } from './axe.ts';

const served = servePerFile();

async function runScenario(page: Page, id: string): Promise<void> {
  await openFromList(page, served().url, id);
  await page.getByRole('button', { name: 'Run all steps' }).click();
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  const count = await steps.count();
  for (let i = 0; i < count; i++) await expect(steps.nth(i)).toHaveAttribute('aria-label', /— passed$/, { timeout: 60_000 });
}

const SIZES = [[1024, 700], [1440, 900]] as const;

/** At each size: do what leads to the view (so scrolling is proven at that size), then shoot light and dark. */
async function shots(page: Page, name: string, arrive: () => Promise<void>): Promise<void> {
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await arrive();
    for (const theme of ['light', 'dark'] as const) {
      await page.getByLabel('Theme').selectOption(theme);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await page.screenshot({ path: `test-results/${name}-${width}x${height}-${theme}.png` });
    }
  }
  await page.getByLabel('Theme').selectOption('light');
}

/** The highlighted line of the sender's transcript: there, and on screen. */
const focused = (page: Page) => page.getByLabel('Sender transcript').locator('[aria-current="true"]');

test.beforeAll(() => fs.mkdirSync('test-results', { recursive: true }));

test('account-deleted: bounce → the line that caused it → its packet → back to the line', async ({ page }) => {
  const problems = watch(page);
  await runScenario(page, 'account-deleted');

  // The bounce in Alice's mailbox links to the exact line: the 535 that refused the logon.
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await page.getByRole('button', { name: 'Mailbox alice@intellinet.example' }).click();
  await page.locator('button.message.bounce').first().click();
  const toLine = async () => {
    await page.getByRole('tab', { name: 'Mailboxes' }).click();
    await page.getByRole('button', { name: 'Show the transcript that caused it' }).click();
    await expect(page.getByRole('tab', { name: 'Transcript' })).toHaveAttribute('aria-selected', 'true');
    await expect(focused(page)).toHaveCount(1);
    await expect(focused(page)).toHaveText('<- 535 ntlm authentication failed');
    await expect(focused(page)).toBeInViewport();
  };
  await toLine();
  await shots(page, 'links-bounce-line', toLine);

  // From the line to the packet that carried it: selected, on screen, its detail shown.
  const selected = page.locator('tr[aria-selected="true"]');
  const toPacket = async () => {
    await page.getByRole('tab', { name: 'Transcript' }).click();
    await focused(page).click();
    await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
    await expect(selected).toHaveCount(1);
    await expect(selected).toBeInViewport();
    await expect(selected).toContainText('535');
  };
  await toPacket();
  const no = Number(await selected.locator('td.c-no').innerText());
  const detail = page.getByRole('region', { name: `Packet ${no} detail` });
  await expect(detail).toBeVisible();
  await shots(page, 'links-line-packet', toPacket);

  // And back: the packet names its transcript line, and the line is highlighted again.
  await detail.getByRole('button', { name: /^Show transcript line \d+ of / }).click();
  await expect(page.getByRole('tab', { name: 'Transcript' })).toHaveAttribute('aria-selected', 'true');
  await expect(focused(page)).toHaveText('<- 535 ntlm authentication failed');
  await axe(page, 'transcript with a highlighted line');
  expect(problems).toEqual([]);
});

test('a sealed line links to the sealed frame that carried it, not to a clear line', async ({ page }) => {
  await runScenario(page, 'account-deleted');
  await page.getByRole('tab', { name: 'Queue' }).click();
  const delivered = page.getByRole('table', { name: 'Queue entries' }).getByRole('row').filter({ hasText: 'delivered' });
  await delivered.getByRole('button', { name: /^Show transcript of / }).click();
  await page.getByLabel('Sender transcript').getByRole('button', { name: /^Line \d+: => MAIL FROM:<alice@intellinet\.example>/ }).click();
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  const selected = page.locator('tr[aria-selected="true"]');
  await expect(selected).toBeInViewport();
  // The eavesdropper's view: a sealed frame, no MAIL FROM in sight — and still the link to its line.
  await expect(selected).not.toContainText('MAIL FROM');
  const detail = page.getByRole('region', { name: /^Packet \d+ detail$/ });
  await expect(detail).toContainText(/transcript line \d+: MAIL FROM:<alice@intellinet\.example>/);
  await detail.getByRole('button', { name: /^Show transcript line \d+ of / }).click();
  await expect(focused(page)).toHaveText(/^=> MAIL FROM:<alice@intellinet\.example>/);
});

test('asa-breaks-ntlm: the queue, the transcript and the bounce name the ASA that broke the session', async ({ page }) => {
  const problems = watch(page);
  await runScenario(page, 'asa-breaks-ntlm');
  const said = 'the firewall (asa, inspect esmtp) changed the sealed MAIL FROM (not an SMTP line after AUTH: masked); then mail.ntsol.example[198.51.100.25] closed the connection';
  await page.getByRole('tab', { name: 'Queue' }).click();
  const row = page.getByRole('table', { name: 'Queue entries' }).getByRole('row').filter({ hasText: 'deferred' });
  await expect(row).toContainText(said);
  await expect(row).not.toContainText('lost connection');
  await shots(page, 'links-queue-middlebox', async () => {
    await expect(row.getByText(said)).toBeInViewport();
  });

  await row.getByRole('button', { name: /^Show transcript of / }).click();
  await expect(page.getByLabel('Sender transcript')).toContainText(`=== defer: ${said}`);
  await expect(focused(page)).toHaveText('=> MAIL FROM:<alice@intellinet.example> SIZE=402 RET=FULL');

  // The queue gives up after two days: the bounce says the same.
  await page.getByRole('tab', { name: 'Rehearse' }).click();
  await page.getByLabel('Advance by').fill('3d');
  await page.getByRole('button', { name: 'Advance the clock' }).click();
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await page.getByRole('button', { name: 'Mailbox alice@intellinet.example' }).click();
  await page.locator('button.message.bounce').first().click();
  await expect(page.getByLabel('Message source')).toContainText('the firewall (asa, inspect esmtp) changed the sealed MAIL FROM');
  expect(problems).toEqual([]);
});
