// The Rehearse tab as an administrator uses it (docs/ui.md, "Dialogs, menus and the Rehearse tab"):
// the To field is the user's once they type in it, a suggested To follows From, a stopped lab says
// to start it rather than that it has no firewall, and the clock line reads as a sentence.
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';

const served = servePerFile();
const SMALL = { width: 1024, height: 700 };

test.beforeAll(() => fs.mkdirSync('test-results', { recursive: true }));

async function rehearse(page: Page) {
  await page.getByRole('tab', { name: 'Rehearse' }).click();
  return page.getByRole('form', { name: 'Compose a message' });
}

async function theme(page: Page, choice: 'light' | 'dark'): Promise<void> {
  await page.getByLabel('Theme').selectOption(choice);
  await expect(page.locator('html')).toHaveAttribute('data-theme', choice);
}

test('To: an emptied field stays empty and takes what is typed; a suggested To follows From, a typed one stays', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'postcard');
  let compose = await rehearse(page);
  const to = compose.getByLabel('To');
  await expect(to).toHaveValue('sean@ntsol.example');

  // Emptied key by key, it stays empty; what is typed next is all it holds.
  await to.click();
  await to.press('End');
  for (let i = 0; i < 'sean@ntsol.example'.length; i++) await to.press('Backspace');
  await expect(to).toHaveValue('');
  await to.pressSequentially('nobody@ntsol.example');
  await expect(to).toHaveValue('nobody@ntsol.example');
  // Emptied at once and sent: the engine is asked for no recipient, not for Sean.
  await to.fill('');
  await compose.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('tabpanel').getByRole('alert')).toBeVisible();
  await expect(to).toHaveValue('');
  await expect(page.getByRole('status').filter({ hasText: /queued at/ })).toHaveCount(0);

  // A fresh form (the tab opened again): the suggestion follows From, so Sean does not write to himself.
  await page.getByRole('tab', { name: 'Topology' }).click();
  compose = await rehearse(page);
  await expect(compose.getByLabel('To')).toHaveValue('sean@ntsol.example');
  await compose.getByLabel('From').selectOption('sean@ntsol.example');
  await expect(compose.getByLabel('To')).toHaveValue('alice@intellinet.example');
  // Once typed, To is the user's: another From leaves it as it is.
  await compose.getByLabel('To').fill('postmaster@ntsol.example');
  await compose.getByLabel('From').selectOption('alice@intellinet.example');
  await expect(compose.getByLabel('To')).toHaveValue('postmaster@ntsol.example');
  expect(problems).toEqual([]);
});

test('a stopped lab: the firewalls section says to start the lab, not that no path has a firewall', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'alternate-path');
  await page.getByRole('button', { name: 'Stop lab' }).click();
  await expect(page.getByLabel('Lab status')).toContainText('Lab stopped');
  await rehearse(page);
  const section = page.getByRole('region', { name: 'Firewalls on the paths' });
  await expect(section).toContainText('Start the lab to change firewalls.');
  await expect(section).not.toContainText('No path in this lab goes through a firewall');
  for (const choice of ['light', 'dark'] as const) {
    await theme(page, choice);
    await page.screenshot({ path: `test-results/rehearse-stopped-1024x700-${choice}.png` });
  }
  // Started again, the PIX on its path is there to change.
  await page.getByRole('button', { name: 'Start lab', exact: true }).click();
  await expect(page.getByLabel('Lab status')).toContainText('Lab running');
  await expect(section.getByRole('group', { name: /^Firewall on / })).toHaveCount(1);
  await expect(section).not.toContainText('Start the lab to change firewalls.');
  expect(problems).toEqual([]);
});

test('the clock line: "UTC · next:" with its space, for a retry that waits', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  // The first step's message meets a TLS floor it cannot reach: deferred, its retry is the clock's next event.
  await openFromList(page, served().url, 'tls10-meets-tls12');
  await page.getByRole('button', { name: 'Next step' }).click();
  await expect(page.getByRole('list', { name: 'Steps' }).getByRole('listitem').first()).toHaveAttribute('aria-label', /— passed$/);
  await rehearse(page);
  const clock = page.getByRole('region', { name: 'Lab clock' });
  await expect(clock.locator('p').first()).toContainText(/^Now \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · next: /);
  for (const choice of ['light', 'dark'] as const) {
    await theme(page, choice);
    await page.screenshot({ path: `test-results/rehearse-clock-1024x700-${choice}.png` });
  }
  expect(problems).toEqual([]);
});

test('the Transcript tab follows the last message tried until the user picks one from the queue', async ({ page }) => {
  const problems = watchPage(page);
  await openFromList(page, served().url, 'postcard');
  const heading = page.getByRole('heading', { level: 2, name: /^Transcript/ });
  /** Send from Rehearse; the queue id, once its first attempt is over (its Transcript button is on). */
  const send = async (subject: string): Promise<string> => {
    const compose = await rehearse(page);
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByRole('button', { name: 'Send' }).click();
    const note = page.getByRole('status').filter({ hasText: /queued at intellinet \(\w+\)/ });
    await expect(note).toBeVisible();
    const id = /\((\w+)\)/.exec((await note.textContent())!)![1];
    await page.getByRole('tab', { name: 'Queue' }).click();
    await expect(page.getByRole('button', { name: `Show transcript of ${id}` })).toBeEnabled();
    return id;
  };
  const first = await send('First');
  await page.getByRole('tab', { name: 'Transcript' }).click();
  await expect(heading).toHaveText(`Transcript of ${first}`);
  // The tab's default follows the newer message.
  const second = await send('Second');
  await page.getByRole('tab', { name: 'Transcript' }).click();
  await expect(heading).toHaveText(`Transcript of ${second}`);
  // Chosen in the queue, an entry stays shown when a newer message is tried.
  await page.getByRole('tab', { name: 'Queue' }).click();
  await page.getByRole('button', { name: `Show transcript of ${first}` }).click();
  await expect(heading).toHaveText(`Transcript of ${first}`);
  await send('Third');
  await page.getByRole('tab', { name: 'Transcript' }).click();
  await expect(heading).toHaveText(`Transcript of ${first}`);
  expect(problems).toEqual([]);
});
