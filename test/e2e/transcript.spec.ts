// The Transcript tab's two views of one session (docs/ui.md, "Mailboxes and transcripts"): the
// receiver's view marks the lines its server read and wrote inside TLS (after STARTTLS, RFC 3207)
// or inside the NTLM seal (after a sealing AUTH NTLM) as the sender's view marks its own — the same
// markers, drawn by the same component in the same colours — so a trainer can show where cleartext
// turns into ciphertext on the partner's server too.
import { test, expect, type Locator, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';

const served = servePerFile();
const SIZES = [{ width: 1024, height: 700 }, { width: 1440, height: 900 }] as const;

async function runAll(page: Page, id: string): Promise<void> {
  await openFromList(page, served().url, id);
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByRole('region', { name: 'Scenario complete' })).toBeVisible({ timeout: 30_000 });
}

/** The one line of a transcript that reads `text` exactly (a link to its packet or plain). */
const line = (transcript: Locator, text: string) => transcript.locator('[data-line]').filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) });

const colour = (l: Locator) => l.evaluate((e) => getComputedStyle(e).color);

/** Both themes at both sizes, with `show` scrolled into the middle of its transcript and the transcript into the window. */
async function shots(page: Page, show: Locator, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const theme of ['light', 'dark'] as const) {
      await page.getByLabel('Theme').selectOption(theme);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await show.evaluate((e) => e.scrollIntoView({ block: 'center' }));
      await expect(show).toBeInViewport();
      await page.screenshot({ path: `test-results/${name}-${size.width}x${size.height}-${theme}.png` });
    }
  }
}

test('starttls-partner: the receiver\'s view marks what it read and wrote after the STARTTLS handshake as inside TLS, in the sender\'s TLS colour', async ({ page }) => {
  const problems = watchPage(page);
  await runAll(page, 'starttls-partner');
  await page.getByRole('tab', { name: 'Transcript' }).click();
  const sender = page.getByLabel('Sender transcript');
  const receiver = page.getByLabel('Receiver transcript');

  // The command and the 220 that starts the layer are clear, on both sides, as they crossed the wire.
  await expect(line(receiver, '<- STARTTLS')).toHaveClass(/\bclear-in\b/);
  await expect(line(receiver, '-> 220 2.0.0 Ready to start TLS')).toHaveClass(/\bclear-out\b/);
  await expect(line(sender, '<- 220 2.0.0 Ready to start TLS')).toHaveClass(/\bclear-in\b/);
  // The EHLO after the handshake, and everything after it, inside TLS.
  const ehlo = line(receiver, '<~ EHLO mail.intellinet.example');
  await expect(ehlo).toHaveClass(/\btls-in\b/);
  await expect(line(receiver, '~> 250 2.1.0 Ok')).toHaveClass(/\btls-out\b/);
  await expect(line(receiver, '<~ QUIT')).toHaveClass(/\btls-in\b/);
  await expect(receiver.locator('[data-line]').filter({ hasText: /^<- (MAIL|RCPT|DATA|QUIT)\b/ })).toHaveCount(0);
  // Drawn as the sender's view draws its lines inside TLS and in clear.
  expect(await colour(ehlo)).toBe(await colour(line(sender, '~> EHLO mail.intellinet.example')));
  expect(await colour(line(receiver, '<- STARTTLS'))).not.toBe(await colour(ehlo));
  await shots(page, ehlo, 'transcript-receiver-tls');
  expect(problems).toEqual([]);
});

test('ntlm-one-way: the receiver\'s view marks what it read and wrote after the sealing AUTH NTLM as NTLM-sealed, in the sender\'s sealed colour', async ({ page }) => {
  const problems = watchPage(page);
  await runAll(page, 'ntlm-one-way');
  // Alice's message, the one that went sealed (Sean's reply goes in clear).
  await page.getByRole('tab', { name: 'Queue' }).click();
  await page.getByRole('button', { name: /^Show transcript of / }).first().click();
  const sender = page.getByLabel('Sender transcript');
  const receiver = page.getByLabel('Receiver transcript');
  await expect(sender).toContainText('=> MAIL FROM:<alice@intellinet.example>');

  // The 235 goes before the seal is installed: clear on both sides.
  await expect(line(receiver, '-> 235 ntlm authentication successful')).toHaveClass(/\bclear-out\b/);
  await expect(line(sender, '<- 235 ntlm authentication successful')).toHaveClass(/\bclear-in\b/);
  const mail = receiver.locator('[data-line]').filter({ hasText: /^<= MAIL FROM:<alice@intellinet\.example>/ });
  await expect(mail).toHaveClass(/\bsealed-in\b/);
  await expect(line(receiver, '=> 250 OK')).toHaveClass(/\bsealed-out\b/);
  await expect(receiver.locator('[data-line]').filter({ hasText: /^<- (MAIL|RCPT|DATA|QUIT)\b/ })).toHaveCount(0);
  expect(await colour(mail)).toBe(await colour(sender.locator('[data-line]').filter({ hasText: /^=> MAIL FROM:<alice@intellinet\.example>/ })));
  await shots(page, mail, 'transcript-receiver-sealed');
  expect(problems).toEqual([]);
});
