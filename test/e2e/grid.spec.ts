// The compatibility grid in a real browser (docs/grid.md): pick a slice, run it, watch it fill,
// open a cell — its outcome, the rule that predicted it, both transcripts, its capture — and run
// one column from a pasted PIX configuration.
import { test, expect, type Page } from '@playwright/test';
import { servePerFile, watchPage } from './serve.ts';
import { axe } from './axe.ts';

const served = servePerFile();

async function only(page: Page, legend: string, keep: string[]): Promise<void> {
  const set = page.getByRole('group', { name: legend });
  const boxes = set.getByRole('checkbox');
  for (let i = 0; i < await boxes.count(); i++) {
    const box = boxes.nth(i);
    const name = (await box.locator('xpath=..').innerText()).trim();
    await box.setChecked(keep.includes(name));
  }
}

test('grid: run a slice, every cell as expected, open a cell', async ({ page }) => {
  test.setTimeout(180_000);
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(served().url);
  await page.getByRole('button', { name: 'Compatibility grid' }).click();
  await expect(page.getByRole('heading', { name: 'Compatibility grid' })).toBeVisible();
  // The axes come from the engine (gridOptions): wait for them before choosing.
  await expect(page.getByRole('button', { name: 'Run 48 cells' })).toBeVisible();

  await only(page, 'Sender', ['exchange-5.5']);
  await only(page, 'Receiver', ['exchange-2019', 'postfix']);
  await only(page, 'Firewall', ['pass', 'pix-5.1', 'asa', 'strip-starttls']);
  await only(page, 'Method', ['none', 'ntlm', 'may', 'encrypt']);
  await page.getByRole('button', { name: 'Run 32 cells' }).click();
  await expect(page.getByText(/^32 of 32 cells as expected/)).toBeVisible({ timeout: 150_000 });
  await expect(page.getByRole('progressbar', { name: 'Grid progress' })).toHaveAttribute('value', '32');

  const table = page.getByRole('table', { name: 'Grid cells' });
  await expect(table.getByRole('button')).toHaveCount(32);
  // The rule in action: the ASA masks STARTTLS, so "may" leaks and "encrypt" waits.
  await expect(table.getByRole('button', { name: 'exchange-5.5 → postfix, asa, may: leaked' })).toBeVisible();
  await expect(table.getByRole('button', { name: 'exchange-5.5 → postfix, asa, encrypt: deferred' })).toBeVisible();
  await expect(table.getByRole('button', { name: 'exchange-5.5 → exchange-2019, pix-5.1, none: bounced' })).toBeVisible();

  await table.getByRole('button', { name: 'exchange-5.5 → postfix, asa, may: leaked' }).click();
  const panel = page.getByRole('complementary', { name: /exchange-5.5 → postfix · asa · may/ });
  await expect(panel).toContainText('leaked (delivered in clear)');
  await expect(panel).toContainText('STARTTLS not offered: level may sends in clear (downgraded)');
  await expect(panel).toContainText('as expected');
  await expect(panel.getByLabel('Sender transcript')).toContainText('<- 250-XXXXXXXA');
  await expect(panel.getByLabel('Receiver transcript')).toContainText('250-STARTTLS');
  // Coloured by their markers as in the Transcript tab: this session crossed in clear both ways.
  await expect(panel.getByLabel('Sender transcript').locator('.line.clear-in').first()).toHaveText(/^<- 220 /);
  await expect(panel.getByLabel('Receiver transcript').locator('.line.clear-out').first()).toHaveText(/^-> 220 /);
  const href = await panel.getByRole('link', { name: /Download this cell's capture/ }).getAttribute('href');
  const pcap = await page.request.get(new URL(href!, served().url).toString());
  expect(pcap.status()).toBe(200);
  expect((await pcap.body()).readUInt32LE(0)).toBe(0x0a0d0d0a);
  await page.screenshot({ path: 'test-results/grid-cell-open.png' });
  await page.screenshot({ path: 'test-results/grid-cell-open-full.png', fullPage: true });
  await axe(page, 'the grid with a cell open, light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: 'test-results/grid-cell-open-dark.png' });
  await axe(page, 'the grid with a cell open, dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // One column from a pasted configuration: PIX 4.4 Mailguard, whose banner never ends.
  await page.getByLabel('Close cell').click();
  await page.getByRole('checkbox', { name: 'Use a pasted PIX/ASA configuration instead of the profiles' }).check();
  await page.getByRole('textbox', { name: 'PIX or ASA configuration' }).fill('PIX Version 4.4(7)\nhostname pix\nfixup protocol smtp 25\n');
  await only(page, 'Receiver', ['postfix']);
  await only(page, 'Method', ['none', 'may']);
  await page.getByRole('button', { name: 'Run 2 cells' }).click();
  await expect(page.getByText(/^2 of 2 cells as expected/)).toBeVisible({ timeout: 60_000 });
  await expect(table.getByRole('button', { name: 'exchange-5.5 → postfix, config, none: deferred' })).toBeVisible();
  expect(problems).toEqual([]);
});
