// The Terminal tab in a real browser (issue 10): telnet to the telnet-starttls lab, `ehlo x`,
// `starttls`, the certificate's fingerprint equal to the lab's, the typed bytes on the lab's tap;
// and character mode through the ASA, one keystroke one packet. The page holds no socket: every
// key goes through the contract.
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { servePerFile, watchPage, openFromList } from './serve.ts';
import { axe } from './axe.ts';

const served = servePerFile();


const transcript = (page: Page) => page.getByLabel('Terminal transcript');

async function typeLine(page: Page, text: string): Promise<void> {
  await page.locator('.xterm-host').click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** The telnet-starttls lab, the Terminal tab, a line-mode session to the partner's server, its greeting read. */
async function connectToPartner(page: Page): Promise<void> {
  await openFromList(page, served().url, 'telnet-starttls');
  await page.getByRole('tab', { name: 'Terminal' }).click();
  await page.getByLabel('Connect to').selectOption({ label: 'mail.partner.example directly (partner)' });
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(transcript(page)).toContainText('220 mail.partner.example');
}

test.beforeAll(() => fs.mkdirSync('test-results', { recursive: true }));

test('telnet-starttls: ehlo x, starttls, 220, the lab certificate\'s fingerprint, and the typed bytes on the tap', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await openFromList(page, served().url, 'telnet-starttls');
  const issued = (await page.getByLabel('Certificate fingerprint of mail.partner.example').innerText()).trim();
  expect(issued).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

  await page.getByRole('tab', { name: 'Terminal' }).click();
  await page.getByLabel('Connect to').selectOption({ label: 'mail.partner.example directly (partner)' });
  await expect(page.getByRole('radio', { name: 'Line' })).toBeChecked();
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(transcript(page)).toContainText('220 mail.partner.example');
  await typeLine(page, 'ehlo x');
  await expect(transcript(page)).toContainText('250-STARTTLS');
  await typeLine(page, 'starttls');
  await expect(transcript(page)).toContainText('220 2.0.0 Ready to start TLS'); // Postfix's words (the partner's product)
  await expect(transcript(page)).toContainText('SHA-256:');
  await expect(page.getByTestId('fingerprint')).toHaveText(issued);
  await expect(transcript(page)).toContainText(issued);
  await expect(page.getByLabel('Server certificate')).toContainText('valid on the lab clock');
  await page.screenshot({ path: 'test-results/terminal-starttls-1024x700-light.png' });
  await page.getByLabel('Theme').selectOption('dark');
  await page.screenshot({ path: 'test-results/terminal-starttls-1024x700-dark.png' });
  await axe(page, 'terminal tab');

  // The typed bytes are on the lab's tap, under the terminal's own capture point.
  await page.getByRole('button', { name: 'Show its packets' }).click();
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('radio', { name: /terminal t1/ })).toBeChecked();
  const box = page.getByRole('textbox', { name: 'Display filter' });
  await box.fill('frame contains "ehlo x"');
  await box.press('Enter');
  const rows = page.getByRole('grid', { name: 'Packet list' }).locator('tbody').getByRole('row');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('ehlo x');
  expect(problems).toEqual([]);
});

test('character mode through the asa profile: one keystroke is one packet, each overwritten with an X by the ASA', async ({ page }) => {
  const problems = watchPage(page);
  await openFromList(page, served().url, 'asa-breaks-ntlm');
  // Opened while no lab runs, the tab says so; once the lab starts its listeners are offered.
  await page.getByRole('button', { name: 'Stop lab', exact: true }).click();
  await page.getByRole('tab', { name: 'Terminal' }).click();
  await expect(page.getByText('the lab is not running; start it first')).toBeVisible();
  await page.getByRole('button', { name: 'Start lab', exact: true }).click();
  await expect(page.getByText('the lab is not running; start it first')).toBeHidden();
  await expect(page.getByLabel('Connect to').locator('option', { hasText: 'mail.ntsol.example through the firewall (asa), as intellinet reaches it' })).toHaveCount(1);
  for (const size of [{ width: 1024, height: 700 }, { width: 1440, height: 900 }]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `test-results/terminal-after-start-${size.width}x${size.height}.png` });
  }
  await page.getByLabel('Connect to').selectOption({ label: 'mail.ntsol.example through the firewall (asa), as intellinet reaches it' });
  await page.getByRole('radio', { name: /^Character/ }).check();
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(transcript(page)).toContainText('220 ');
  await typeLine(page, 'helo x');
  // The ASA judged each keystroke's packet on its own and overwrote it with an X (Cisco tech note
  // 113423): the server read XXXXXX and did not know the command.
  await expect(transcript(page)).toContainText(/50[02] /);
  await page.screenshot({ path: 'test-results/terminal-character-asa.png' });

  await page.getByRole('button', { name: 'Show its packets' }).click();
  const rows = page.getByRole('grid', { name: 'Packet list' }).locator('tbody').getByRole('row');
  const box = page.getByRole('textbox', { name: 'Display filter' });
  for (const point of [/terminal t1/, /^sent \(mail\.intellinet\.example\)/]) {
    await page.getByRole('radio', { name: point }).check();
    await box.fill('tcp.len == 1');
    await box.press('Enter');
    // h, e, l, o, space, x: six keystrokes, six one-byte segments; Enter is CR LF in one.
    await expect(rows).toHaveCount(6);
    await box.fill('tcp.len == 2 and frame contains "\\r\\n"');
    await box.press('Enter');
    await expect(rows.filter({ hasText: /→|192\.0\.2\.10/ })).not.toHaveCount(0);
  }
  // Past the ASA, the same six packets carry an X each.
  await page.getByRole('radio', { name: /^received/ }).check();
  await box.fill('tcp.len == 1 and frame contains "X"');
  await box.press('Enter');
  await expect(rows).toHaveCount(6);
  expect(problems).toEqual([]);
});

test('the terminal takes the tab\'s height: more rows on a taller window, fewer again when it shrinks', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await connectToPartner(page);
  const panel = page.getByRole('tabpanel');
  const host = page.locator('.xterm-host');
  // xterm draws one element per row; the fit add-on sets their number from the host's height.
  const rows = () => page.locator('.xterm-rows > div').count();
  const gapBelow = async () => {
    const [p, h] = [await panel.boundingBox(), await host.boundingBox()];
    return p!.y + p!.height - (h!.y + h!.height);
  };
  // The host reaches down to the tab's padding, not a fixed 20rem box with the tab empty below.
  expect(await gapBelow()).toBeLessThan(24);
  const at720 = await rows();
  await page.setViewportSize({ width: 1280, height: 1000 });
  await expect.poll(rows).toBeGreaterThan(at720 + 10);
  expect(await gapBelow()).toBeLessThan(24);
  await page.screenshot({ path: 'test-results/terminal-1280x1000.png' });
  await page.setViewportSize({ width: 1280, height: 720 });
  await expect.poll(rows).toBe(at720);
  expect(await gapBelow()).toBeLessThan(24);
  expect(problems).toEqual([]);
});

test('a message typed by hand with no From: lands with its Return-Path, and the mailbox says it has no From', async ({ page }) => {
  const problems = watchPage(page);
  await connectToPartner(page);
  for (const line of ['ehlo x', 'mail from:<trainer@example.org>', 'rcpt to:<pat@partner.example>', 'data', 'Subject: typed by hand', '', 'hello', '.']) {
    await typeLine(page, line);
  }
  await expect(transcript(page)).toContainText('250 2.0.0 Ok: queued as');
  await typeLine(page, 'quit');
  await expect(transcript(page)).toContainText('[connection ended');
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await expect(page.getByRole('button', { name: 'Mailbox pat@partner.example' })).toHaveAttribute('aria-pressed', 'true');
  const item = page.getByRole('button', { name: /typed by hand/ });
  await expect(item).toContainText('(no From: header) · ');
  await item.click();
  // RFC 5321 §4.4: the final delivery wrote the reverse-path first, then Postfix's Received field.
  await expect(page.getByLabel('Message source')).toHaveText(/^Return-Path: <trainer@example\.org>\s+Received: from x /);
  await page.screenshot({ path: 'test-results/terminal-typed-mailbox.png' });
  expect(problems).toEqual([]);
});

test('leaving the Terminal tab and coming back keeps the screen and the line being typed', async ({ page }) => {
  const problems = watchPage(page);
  await connectToPartner(page);
  await typeLine(page, 'ehlo x');
  await expect(transcript(page)).toContainText('250-STARTTLS');
  // Half a line in line mode, then away to the session's packets and back.
  await page.locator('.xterm-host').click();
  await page.keyboard.type('mail fr');
  await page.getByRole('button', { name: 'Show its packets' }).click();
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('tab', { name: 'Terminal' }).click();
  // xterm draws its rows as text: the greeting, the typed command (local echo), the reply, the half line.
  const screen = page.locator('.xterm-rows');
  await expect(screen).toContainText('220 mail.partner.example');
  await expect(screen).toContainText('ehlo x');
  await expect(screen).toContainText('250-STARTTLS');
  await expect(screen).toContainText('mail fr');
  await page.locator('.xterm-host').click();
  await page.keyboard.type('om:<trainer@example.org>');
  await page.keyboard.press('Enter');
  await expect(transcript(page)).toContainText('250 2.1.0 Ok');
  expect(problems).toEqual([]);
});
