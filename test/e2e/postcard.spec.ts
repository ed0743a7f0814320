import { test, expect } from '@playwright/test';
import { openFromList, servePerFile } from './serve.ts';

const served = servePerFile();

test('a trainer runs the postcard scenario, reads the message in sean\'s mailbox and its transcript', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));

  await page.goto(served().url);
  await expect(page.getByRole('heading', { name: 'Choose a scenario' })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Open scenario postcard:/ })).toBeVisible();
  await page.screenshot({ path: 'test-results/postcard-picker.png' });
  await page.getByRole('button', { name: /^Open scenario postcard:/ }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Email between servers travels like a postcard' })).toBeVisible();
  await expect(page.getByText('Lab running')).toBeVisible();
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  await expect(steps).toHaveCount(3);

  await page.getByRole('button', { name: 'Run all steps' }).click();
  for (let i = 0; i < 3; i++) await expect(steps.nth(i)).toHaveAttribute('aria-label', /— passed$/);
  await expect(page.getByText('3 passed')).toBeVisible();

  // The topology shows both organisations with their (empty) security tables.
  await expect(page.getByRole('heading', { name: 'intellinet.example' })).toBeVisible();
  await expect(page.getByText('No entries: mail to every domain leaves without authentication or encryption.').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/postcard-topology.png', fullPage: true });

  // Sean's mailbox has the message, with its source. The tab opens on it: the first mailbox with
  // mail, and in it the newest message, read without a click.
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await expect(page.getByRole('button', { name: 'Mailbox sean@ntsol.example' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('button', { name: 'Mailbox alice@intellinet.example' })).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByRole('button', { name: /A test/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByLabel('Message source')).toContainText('Subject: A test');
  await expect(page.getByLabel('Message source')).toContainText('Hi Sean, this is a test, unencrypted message');
  await page.screenshot({ path: 'test-results/postcard-mailbox.png', fullPage: true });

  // The queue entry's transcript, as the sender saw it: swaks markers.
  await page.getByRole('tab', { name: 'Queue' }).click();
  await expect(page.getByRole('table', { name: 'Queue entries' })).toContainText('delivered');
  await page.screenshot({ path: 'test-results/postcard-queue.png', fullPage: true });
  await page.getByRole('button', { name: /^Show transcript of / }).first().click();
  await expect(page.getByRole('tab', { name: 'Transcript' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByLabel('Sender transcript')).toContainText('-> MAIL FROM:<alice@intellinet.example>');
  await expect(page.getByLabel('Receiver transcript')).toContainText('<- MAIL FROM:<alice@intellinet.example>');
  await page.screenshot({ path: 'test-results/postcard-transcript.png', fullPage: true });

  expect(problems).toEqual([]);
});

test('Mailboxes and Transcript open on what the lesson is about: the first mailbox with mail, the last message tried', async ({ page }) => {
  await openFromList(page, served().url, 'pix-mailguard');
  // Before any mail: the tabs say where to look.
  await page.getByRole('tab', { name: 'Transcript' }).click();
  await expect(page.getByText('Pick a queue entry and choose Transcript.')).toBeVisible();
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await expect(page.getByText('No mail yet. Choose a mailbox.')).toBeVisible();
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByText('6 passed · 6 in all')).toBeVisible({ timeout: 30_000 });
  // m1 (Bob) was delivered, m2 (Alice, NTLM) bounced after ten tries: m2 is the last one tried.
  const m2 = page.getByRole('table', { name: 'Queue entries' }).getByRole('row').filter({ hasText: 'message m2' });
  await page.getByRole('tab', { name: 'Queue' }).click();
  const m2Id = (await m2.locator('td').first().innerText()).split('\n')[0].trim();
  await page.getByRole('tab', { name: 'Transcript' }).click();
  await expect(page.getByRole('heading', { name: `Transcript of ${m2Id}` })).toBeVisible();
  await expect(page.getByLabel('Sender transcript').first()).toContainText('AUTH NTLM');
  // Alice's bounce is in the first mailbox with anything in it.
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await expect(page.getByRole('button', { name: 'Mailbox alice@intellinet.example' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('region', { name: 'Messages' })).toContainText('bounce');
  // …and open on it: the bounce, its status and the link to its cause.
  await expect(page.getByText('Delivery failed.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Show the transcript that caused it' })).toBeVisible();
  // A choice stays: Bob's empty mailbox, then away and back.
  await page.getByRole('button', { name: 'Mailbox bob@intellinet.example' }).click();
  await expect(page.getByLabel('Message source')).toHaveCount(0);
  await page.getByRole('tab', { name: 'Queue' }).click();
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await expect(page.getByRole('button', { name: 'Mailbox bob@intellinet.example' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByText('This mailbox is empty.')).toBeVisible();
});

test('steps one at a time with "Next step", and "Restart lab" starts over', async ({ page }) => {
  await page.goto(served().url);
  await page.getByRole('button', { name: /^Open scenario postcard:/ }).click();
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  await expect(steps.nth(0)).toHaveAttribute('aria-label', /— pending$/);

  await page.getByRole('button', { name: 'Next step' }).click();
  await expect(steps.nth(0)).toHaveAttribute('aria-label', /— passed$/);
  await expect(steps.nth(1)).toHaveAttribute('aria-label', /— pending$/);
  await expect(page.getByText('1 passed')).toBeVisible();

  // Restart asks first (issue 17); starting as the scenario file has it.
  await page.getByRole('button', { name: 'Restart lab…' }).click();
  await page.getByRole('group', { name: 'Restart the lab?' }).getByRole('button', { name: 'Restart as the scenario starts' }).click();
  await expect(steps.nth(0)).toHaveAttribute('aria-label', /— pending$/);
  await expect(page.getByText('0 passed')).toBeVisible();
  await page.getByRole('tab', { name: 'Queue' }).click();
  await expect(page.getByText('No mail has been queued yet.')).toBeVisible();
});

test('the page is served with a CSP that names only its own socket, and breaks none of it', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') violations.push(m.text()); });
  const response = await page.goto(served().url);
  const csp = response!.headers()['content-security-policy'];
  const port = new URL(served().url).port;
  expect(csp).toContain(`connect-src ws://127.0.0.1:${port}/ws ws://localhost:${port}/ws`);
  expect(csp).not.toContain('unsafe-inline');
  // The bundle honours it: the UI renders and talks to the lab with no CSP violation reported.
  await page.getByRole('button', { name: /^Open scenario postcard:/ }).click();
  await expect(page.getByText('Lab running')).toBeVisible();
  expect(violations).toEqual([]);
});

test('the printed URL\'s token becomes an HttpOnly cookie: the page, its socket and its downloads work, a browser without it gets 403', async ({ page, browser }) => {
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(served().url);
  // Redirected to the same address without the token: the address bar and history never keep it.
  expect(page.url()).toBe(served().origin);
  const cookies = await page.context().cookies(served().origin);
  const port = new URL(served().origin).port;
  expect(cookies).toEqual([expect.objectContaining({ name: `postcard-lab-${port}`, value: served().token, httpOnly: true, sameSite: 'Strict', path: '/' })]);
  // The page cannot read it (HttpOnly), yet its WebSocket carries it: the lab runs.
  expect(await page.evaluate(() => document.cookie)).toBe('');
  await page.getByRole('button', { name: /^Open scenario postcard:/ }).click();
  await expect(page.getByText('Lab running')).toBeVisible({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByText('3 passed')).toBeVisible();
  // A download from the page's own context is served (the cookie goes with it).
  const transcripts = await page.request.get(`${served().origin}export/transcripts.txt`);
  expect(transcripts.status()).toBe(200);
  expect(await transcripts.text()).toMatch(/^## as the sender saw it$/m);
  expect(problems).toEqual([]);

  // Another browser profile that only knows the address without the token: 403, nothing served.
  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  const refused = await other.goto(served().origin);
  expect(refused!.status()).toBe(403);
  await expect(other.locator('body')).toContainText('needs the token of this run');
  const keylog = await other.request.get(`${served().origin}export/keylog.txt`);
  expect(keylog.status()).toBe(403);
  expect(await keylog.text()).not.toContain('CLIENT_RANDOM');
  await other.screenshot({ path: 'test-results/serve-token-refused.png' });
  await stranger.close();
});

test('while a newly opened lab starts, the status says so, and "Lab running" means the new lab answers', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  // The page's socket passes through here, so the new lab's start can be held while we look.
  let releaseStart: (() => void) | undefined;
  const startSent = new Promise<void>((sent) => {
    void page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => ws.send(m));
      ws.onMessage((m) => {
        const held = typeof m === 'string' && JSON.parse(m).command === 'startLab' && !releaseStart;
        if (!held) return server.send(m);
        releaseStart = () => server.send(m);
        sent();
      });
    });
  });
  await page.setViewportSize({ width: 1024, height: 700 });
  await page.goto(served().url);
  // A lab is running already (the earlier tests'), and the scenario is opened again over it.
  await page.getByRole('button', { name: /^Open scenario postcard:/ }).click();
  await startSent;
  const status = page.getByLabel('Lab status');
  await expect(status).toContainText('Starting lab…');
  await expect(status).not.toContainText('Lab running');
  await expect(page.getByText('The lab is starting; its picture, endpoints and paths follow.')).toBeVisible();
  await page.screenshot({ path: 'test-results/status-starting-1024x700.png' });
  releaseStart!();
  await expect(status).toContainText('Lab running');
  // Ready for the next command at once: nothing is refused as busy.
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByText('3 passed')).toBeVisible();
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: 'test-results/status-running-1440x900-dark.png' });
  expect(problems).toEqual([]);
});
