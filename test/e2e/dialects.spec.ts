import { test, expect } from '@playwright/test';
import { servePerFile } from './serve.ts';

const served = servePerFile();

// The 1998 dialect on screen (docs/products.md): the IMS's banner, its MAIL/DATA/QUIT texts, the
// blind AUTH NTLM that Mailguard answers with 250 OK, and the IMS's 535 — in the transcript panel.
const cases: { id: string; sender: string[]; shot: string; state: string }[] = [
  { id: 'postcard', state: 'delivered', shot: 'dialect-postcard', sender: ['<- 220 mail.ntsol.example ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.2653.13) ready', '<- 250 OK - mail from <alice@intellinet.example>; can accomodate', '-> RCPT TO:<sean@ntsol.example> NOTIFY=FAILURE,DELAY', '<- 354 Send data.  End with CRLF.CRLF', '<- 221 closing connection'] },
  { id: 'pix-mailguard', state: 'bounced', shot: 'dialect-pix-mailguard', sender: ['-> AUTH NTLM TlRMTVNTUAAB', '<- 250 OK'] },
  { id: 'account-deleted', state: 'bounced', shot: 'dialect-account-deleted', sender: ['-> AUTH NTLM TlRMTVNTUAAB', '<- 334 TlRMTVNTUAAC', '<- 535 ntlm authentication failed'] },
];

for (const c of cases) {
  for (const scheme of ['light', 'dark'] as const) {
    test(`${c.id} transcript in the 1998 dialect (${scheme})`, async ({ page }) => {
      await page.setViewportSize({ width: 1024, height: 700 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(served().url);
      await page.getByRole('button', { name: new RegExp(`^Open scenario ${c.id}:`) }).click();
      await expect(page.getByText('Lab running')).toBeVisible();
      await page.getByRole('button', { name: 'Run all steps' }).click();
      await expect(page.getByText(/\d+ passed/)).toBeVisible({ timeout: 60_000 });
      await page.getByRole('tab', { name: 'Queue' }).click();
      // The entry the lesson is about: the bounced message (the postcard's delivered one).
      const row = page.getByRole('table', { name: 'Queue entries' }).getByRole('row').filter({ hasText: c.state });
      await row.getByRole('button', { name: /^Show transcript of / }).first().click();
      const sender = page.getByLabel('Sender transcript').first();
      for (const line of c.sender) await expect(sender).toContainText(line);
      await page.screenshot({ path: `test-results/${c.shot}-${scheme}.png`, fullPage: true });
    });
  }
}
