// Readable in a classroom (docs/ui.md, "Themes and keyboard"): the dark theme's pale
// fills carry dark text, form fields show what they hold, the organisation cards keep their tables
// inside them at 1024×700, and the tab strip does not move when the selection does.
import { test, expect, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';
import { fillNtlmEntry } from './ims.ts';
import { contrastOf } from './contrast.ts';
import { axe } from './axe.ts';

const served = servePerFile();

/** WCAG 2.1 AA for normal text (1.4.3). */
const AA = 4.5;

async function dark(page: Page): Promise<void> {
  await page.getByLabel('Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
}

async function expectReadable(page: Page, target: ReturnType<Page['locator']>, what: string): Promise<void> {
  await expect(target).toBeVisible();
  const c = await contrastOf(target);
  expect(c.ratio, `${what}: ${c.color} on ${c.background}`).toBeGreaterThanOrEqual(AA);
}

test('dark, 1024×700: the checkpoint badge, the IMS dialog\'s fields and the cards\' tables are readable, and the cards hold their tables', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await openFromList(page, served().url, 'ntlm-one-way');
  await dark(page);
  await page.getByRole('button', { name: 'Next step' }).click();
  const checkpoint = page.getByRole('region', { name: /Your turn/ });
  await expectReadable(page, checkpoint.getByText('Checkpoint', { exact: true }), 'the checkpoint badge');

  // The dialog the checkpoint sends the learner to: each field shows its value.
  const intellinet = page.getByRole('article', { name: 'intellinet.example' });
  const dialog = await fillNtlmEntry(page);
  for (const field of ['E-Mail domain', 'NT domain', 'Account']) await expectReadable(page, dialog.getByLabel(field, { exact: true }), `the dialog's ${field} field`);
  await expectReadable(page, dialog.getByRole('button', { name: 'OK' }), 'the dialog\'s OK button');
  await page.screenshot({ path: 'test-results/readability-dialog-dark-1024x700.png' });
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();

  // Both cards now list a row; each table ends inside its card, and the tab never scrolls sideways.
  const table = intellinet.getByRole('table', { name: 'Security table of intellinet.example' });
  await expect(table).toContainText('ntsol.example');
  for (const card of await page.getByRole('article').all()) {
    const box = (await card.boundingBox())!;
    for (const t of await card.getByRole('table').all()) {
      const tb = (await t.boundingBox())!;
      expect(tb.x + tb.width, `${await card.getAttribute('aria-labelledby')}: its table runs out of the card`).toBeLessThanOrEqual(box.x + box.width);
    }
  }
  const panel = page.getByRole('tabpanel');
  expect(await panel.evaluate((p) => p.scrollWidth - p.clientWidth), 'the Topology tab scrolls sideways').toBeLessThanOrEqual(0);
  // A fingerprint wraps between bytes, never inside one.
  const print = page.getByLabel('Certificate fingerprint of mail.intellinet.example');
  const lines = await print.evaluate((el) => {
    const range = document.createRange();
    const text = el.textContent ?? '';
    const tops = new Map<number, string>();
    const node = [...el.childNodes];
    let offset = 0;
    for (const n of node) {
      if (n.nodeType !== Node.TEXT_NODE) continue;
      for (let i = 0; i < (n.textContent ?? '').length; i++) {
        range.setStart(n, i); range.setEnd(n, i + 1);
        const top = Math.round(range.getBoundingClientRect().top);
        tops.set(top, (tops.get(top) ?? '') + text[offset + i]);
      }
      offset += (n.textContent ?? '').length;
    }
    return [...tops.values()];
  });
  expect(lines.length, 'the fingerprint fits on one line: nothing to check').toBeGreaterThan(1);
  for (const line of lines.slice(0, -1)) expect(line, `a fingerprint line ends inside a byte: ${lines.join(' / ')}`).toMatch(/:$/);
  await page.screenshot({ path: 'test-results/readability-cards-dark-1024x700.png' });

  // Passed steps' marks: dark on the pale green.
  await checkpoint.getByRole('button', { name: 'Check' }).click();
  const first = page.getByRole('list', { name: 'Steps' }).getByRole('listitem').first();
  await expect(first).toHaveAttribute('aria-label', /— passed$/);
  await expectReadable(page, first.locator('.mark'), 'a passed step\'s mark');
  await axe(page, 'ntlm-one-way cards, dark, 1024×700');
  expect(problems).toEqual([]);
});

test('dark: the queue\'s count on its tab and a bounce\'s tag are readable; the tab strip stays put whichever tab is chosen', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  const runAll = async (id: string) => {
    await openFromList(page, served().url, id);
    await dark(page);
    await page.getByRole('button', { name: 'Run all steps' }).click();
    await expect(page.getByRole('list', { name: 'Steps' }).getByRole('listitem').last()).toHaveAttribute('aria-label', /— passed$/);
  };
  // "encrypt" to a host whose STARTTLS the ASA masks: m2 waits in the queue, and the tab counts it.
  await runAll('asa-strips-starttls');
  await expectReadable(page, page.getByRole('tab', { name: /^Queue/ }).locator('.badge'), 'the queue\'s count on its tab');
  const tabs = page.getByRole('tab');
  const where = async () => Promise.all((await tabs.all()).map(async (t) => (await t.boundingBox())!.x));
  const before = await where();
  for (const name of ['Queue', 'Mailboxes', 'Server logs', 'Topology']) {
    await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
    expect(await where(), `the tabs moved when ${name} was chosen`).toEqual(before);
  }

  // Mailguard's 5xx to AUTH: the sender's bounce in alice's mailbox.
  await runAll('pix-mailguard');
  // The story's quarter at 1024 px: Next step and Run all steps share a row, and no step's
  // addresses run out of its card (they break after a dot or an @).
  const [next, all] = [page.getByRole('button', { name: 'Next step' }), page.getByRole('button', { name: 'Run all steps' })];
  expect((await next.boundingBox())!.y).toBe((await all.boundingBox())!.y);
  for (const line of await page.locator('.step-line').all()) {
    expect(await line.evaluate((el) => el.scrollWidth - el.clientWidth), `"${await line.innerText()}" runs out of its step`).toBeLessThanOrEqual(0);
  }
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await page.getByRole('button', { name: /^Mailbox alice@intellinet\.example/ }).click();
  const tag = page.getByRole('tabpanel').locator('.tag').first();
  await expectReadable(page, tag, 'a bounce\'s tag');
  await axe(page, 'pix-mailguard mailboxes, dark');
  expect(problems).toEqual([]);
});

test('1024×700: no tab scrolls sideways in the labs with the longest names, and the terminal does not jump when it connects', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  for (const id of ['content-scanner', 'asa-strips-starttls', 'mta-sts-enforce']) {
    await openFromList(page, served().url, id);
    await page.getByRole('button', { name: 'Run all steps' }).click();
    await expect(page.getByRole('list', { name: 'Steps' }).getByRole('listitem').last()).toHaveAttribute('aria-label', /— (passed|failed)$/);
    for (const tab of await page.getByRole('tablist', { name: 'Lab views' }).getByRole('tab').all()) {
      await tab.click();
      const panel = page.getByRole('tabpanel');
      await expect(panel).toHaveAttribute('aria-labelledby', (await tab.getAttribute('id'))!);
      const over = await panel.evaluate((p) => p.scrollWidth - p.clientWidth);
      expect(over, `${id}: the ${await tab.innerText()} tab scrolls ${over} px sideways`).toBeLessThanOrEqual(0);
    }
  }
  // The firewall's configuration: one line per command, never wrapped into two.
  await openFromList(page, served().url, 'asa-strips-starttls');
  await page.getByRole('tab', { name: 'Firewall' }).click();
  const config = page.getByRole('region', { name: 'Firewall configuration' });
  const lineHeight = await config.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
  const lines = (await config.innerText()).split('\n').length;
  const padding = await config.evaluate((el) => parseFloat(getComputedStyle(el).paddingTop) + parseFloat(getComputedStyle(el).paddingBottom));
  const scrollbar = await config.evaluate((el) => (el as HTMLElement).offsetHeight - el.clientHeight);
  expect(((await config.boundingBox())!.height - padding - scrollbar) / lineHeight, 'a configuration line wrapped').toBeCloseTo(lines, 0);

  // The terminal stays where it is while a session opens and closes.
  await openFromList(page, served().url, 'content-scanner');
  await page.getByRole('tab', { name: 'Terminal' }).click();
  const screen = page.getByRole('application', { name: 'Terminal session' });
  await expect(page.getByText('Choose a listener under "Connect to", then Connect.')).toBeVisible();
  const before = (await screen.boundingBox())!;
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Disconnect' })).toBeVisible();
  await expect(page.getByText('Choose a listener under "Connect to", then Connect.')).toBeHidden();
  expect((await screen.boundingBox())!.y, 'the terminal moved when the session opened').toBe(before.y);
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByRole('button', { name: 'Connect', exact: true })).toBeVisible();
  expect((await screen.boundingBox())!.y, 'the terminal moved when the session closed').toBe(before.y);
  expect(problems).toEqual([]);
});

test('1920×1080: a server\'s log takes the window\'s height, and the tab does not scroll', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1920, height: 1080 });
  await openFromList(page, served().url, 'pix-mailguard');
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByRole('list', { name: 'Steps' }).getByRole('listitem').last()).toHaveAttribute('aria-label', /— passed$/);
  await page.getByRole('tab', { name: 'Server logs' }).click();
  const lines = page.locator('.log-lines');
  await expect(lines.locator('li').first()).toBeVisible();
  // More lines than the box shows: it scrolls on its own, and reaches down to the tab's foot.
  expect(await lines.evaluate((el) => el.scrollHeight > el.clientHeight), 'pix-mailguard\'s IMS log fits without scrolling: nothing to measure').toBe(true);
  const panel = page.getByRole('tabpanel');
  const [box, tab] = [(await lines.boundingBox())!, (await panel.boundingBox())!];
  expect(tab.y + tab.height - (box.y + box.height), 'empty room under the log').toBeLessThan(80);
  expect(await panel.evaluate((p) => p.scrollHeight - p.clientHeight), 'the Server logs tab scrolls').toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'test-results/readability-logs-1920x1080.png' });
  expect(problems).toEqual([]);
});

test('an engine error shown alone reads as a sentence: the terminal of a stopped lab', async ({ page }) => {
  await openFromList(page, served().url, 'telnet-starttls');
  await page.getByRole('button', { name: 'Stop lab' }).click();
  await expect(page.getByLabel('Lab status')).toContainText('Lab stopped');
  await page.getByRole('tab', { name: 'Terminal' }).click();
  const connect = page.getByRole('button', { name: 'Connect', exact: true });
  if (await connect.isEnabled()) await connect.click();
  const alert = page.getByRole('tabpanel').getByRole('alert');
  // The engine's words are a lower-case clause; the page shows them capitalised (innerText is what is drawn).
  await expect(alert).toHaveText(/^the lab is not running/);
  expect(await alert.innerText()).toMatch(/^The lab is not running/);
  // The packet view says the same, and no hint to run a step beside it.
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(page.getByRole('tabpanel').getByRole('alert')).toHaveText(/^the lab is not running/i);
  await expect(page.getByText(/No capture point yet/)).toHaveCount(0);
});
