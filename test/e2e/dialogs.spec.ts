// The product dialogs as an administrator meets them at 1024×700 (docs/ui.md, "Dialogs, menus and
// the Rehearse tab"): OK, Cancel and the engine's refusal stay in sight in the tallest dialog, the
// E-Mail domain field suggests a partner's domain, Add… refuses a domain the table already has,
// the Inbound TLS notice names only what the server reads, a refusal names the field by the
// label the form shows, never by the request's key, and the NT build dialog changes what the card
// says and what the next message meets.
import fs from 'node:fs';
import { test, expect, type Locator, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';
import { fillNtlmEntry } from './ims.ts';
import { axe } from './axe.ts';

const served = servePerFile();
const SMALL = { width: 1024, height: 700 };

test.beforeAll(() => fs.mkdirSync('test-results', { recursive: true }));

async function theme(page: Page, choice: 'light' | 'dark'): Promise<void> {
  await page.getByLabel('Theme').selectOption(choice);
  await expect(page.locator('html')).toHaveAttribute('data-theme', choice);
}

/** Wholly inside the window, measured: its box's top at or below 0, its bottom at or above the window's height. */
async function expectWhollyInWindow(page: Page, target: Locator, what: string): Promise<void> {
  const box = (await target.boundingBox())!;
  const { height } = page.viewportSize()!;
  expect(box.y, `${what} above the window`).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height, `${what} below the window (${height} px)`).toBeLessThanOrEqual(height);
  await expect(target, `${what} covered or out of sight`).toBeInViewport({ ratio: 1 });
}

test('1024×700: the IMS dialog with NT challenge/response and a refusal keeps the refusal, OK and Cancel in sight; the fields scroll', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'ntlm-one-way');
  for (const choice of ['light', 'dark'] as const) {
    await theme(page, choice);
    const dialog = await fillNtlmEntry(page);
    await dialog.getByLabel('E-Mail domain').fill('bad domain');
    await dialog.getByRole('button', { name: 'OK' }).click();
    const refusal = dialog.getByRole('alert');
    await expect(refusal).toContainText('expected a domain name');
    await expectWhollyInWindow(page, refusal, 'the refusal');
    await expectWhollyInWindow(page, dialog.getByRole('button', { name: 'OK' }), 'OK');
    await expectWhollyInWindow(page, dialog.getByRole('button', { name: 'Cancel' }), 'Cancel');
    // The dialog is taller than the window allows it, so it scrolls; the footer stays put meanwhile.
    expect(await dialog.evaluate((d) => d.scrollHeight > d.clientHeight), 'nothing to scroll: the test no longer measures a tall dialog').toBe(true);
    await page.screenshot({ path: `test-results/dialogs-ims-refusal-1024x700-${choice}.png` });
    await dialog.evaluate((d) => d.scrollTo(0, 0));
    await expectWhollyInWindow(page, dialog.getByRole('button', { name: 'OK' }), 'OK with the dialog scrolled to its top');
    await page.screenshot({ path: `test-results/dialogs-ims-refusal-top-1024x700-${choice}.png` });
    // The fields under the footer are still reachable: the last one scrolls above it when focused.
    const last = dialog.getByLabel(/Minimum session key/);
    await last.focus();
    const footerTop = (await dialog.getByRole('button', { name: 'OK' }).boundingBox())!.y;
    expect((await last.boundingBox())!.y, 'the focused field under the footer').toBeLessThan(footerTop);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
  }
  expect(problems).toEqual([]);
});

test('the E-Mail domain field suggests a partner\'s domain, never the organisation\'s own', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'ntlm-one-way');
  for (const [own, partner] of [['intellinet.example', 'ntsol.example'], ['ntsol.example', 'intellinet.example']]) {
    await page.getByRole('article', { name: own }).getByRole('button', { name: `Add a domain to the security table of ${own}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByLabel('E-Mail domain')).toHaveAttribute('placeholder', partner);
    if (own === 'ntsol.example') {
      for (const choice of ['light', 'dark'] as const) {
        await theme(page, choice);
        await page.screenshot({ path: `test-results/dialogs-placeholder-1024x700-${choice}.png` });
      }
    }
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
  }
  expect(problems).toEqual([]);
});

test('the IMS dialog draws each option\'s own fields under it: SASL/SSL\'s check boxes before the NT challenge/response option', async ({ page }) => {
  const problems = watchPage(page);
  await openFromList(page, served().url, 'ntlm-one-way');
  await page.getByRole('article', { name: 'intellinet.example' }).getByRole('button', { name: 'Add a domain to the security table of intellinet.example' }).click();
  const dialog = page.getByRole('dialog', { name: 'E-Mail Domain security information' });
  // In document order: each option, then the fields that belong to it.
  const order = await dialog.locator('input').evaluateAll((inputs) => inputs.map((i) => (i.closest('label')?.textContent ?? '').trim().replace(/\s+/g, ' ')).filter(Boolean));
  const at = (text: string) => order.findIndex((t) => t.startsWith(text));
  expect(at('SASL/SSL security')).toBeLessThan(at('SASL AUTH clear text password'));
  expect(at('SSL encryption')).toBeLessThan(at('Windows NT challenge/response'));
  expect(at('Windows NT challenge/response')).toBeLessThan(at('NT domain'));
  expect(at('NT domain')).toBeLessThan(at('Password'));
  await dialog.getByRole('radio', { name: 'SASL/SSL security' }).check();
  await page.screenshot({ path: 'test-results/dialogs-ims-sasl-under-its-option.png' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect(problems).toEqual([]);
});

test('Add… for a domain the table already has, in another case: refused in the dialog, the row kept', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'ntlm-one-way');
  const intellinet = page.getByRole('article', { name: 'intellinet.example' });
  const table = intellinet.getByRole('table', { name: 'Security table of intellinet.example' });
  let dialog = await fillNtlmEntry(page);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();
  await expect(table).toContainText('as INTELLINET\\DOUG');

  await intellinet.getByRole('button', { name: 'Add a domain to the security table of intellinet.example' }).click();
  dialog = page.getByRole('dialog', { name: 'E-Mail Domain security information' });
  await dialog.getByLabel('E-Mail domain').fill('NTSOL.Example');
  await dialog.getByRole('radio', { name: 'No authentication or encryption' }).check();
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('this table already has an entry for ntsol.example: use its Edit… button');
  for (const choice of ['light', 'dark'] as const) {
    await theme(page, choice);
    await page.screenshot({ path: `test-results/dialogs-duplicate-1024x700-${choice}.png` });
  }
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  // The NTLM row is still there, the only row.
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table).toContainText('Windows NT challenge/response authentication and encryption as INTELLINET\\DOUG');

  // Edit… on that row is not refused: it is the row.
  await intellinet.getByRole('button', { name: 'Edit ntsol.example' }).click();
  await dialog.getByLabel('Password', { exact: true }).fill('Sunrise-42');
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();
  expect(problems).toEqual([]);
});

test('Inbound TLS at level none: the notice names the level alone, not the protocols it does not read', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'tls10-meets-tls12');
  const ntsol = page.getByRole('article', { name: 'ntsol.example' });
  await ntsol.getByRole('button', { name: 'TLS for mail received by ntsol.example' }).click();
  const dialog = page.getByRole('dialog', { name: 'main.cf — TLS for mail received (smtpd)' });
  await dialog.getByLabel('smtpd_tls_security_level =').selectOption('none');
  await expect(dialog).toContainText('no TLS: not read');
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();
  await expect(ntsol.getByRole('status')).toHaveText('smtpd_tls_security_level = none: the next session ntsol.example receives takes it.');
  for (const choice of ['light', 'dark'] as const) {
    await theme(page, choice);
    await ntsol.getByRole('status').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `test-results/dialogs-inbound-none-1024x700-${choice}.png` });
  }
  // Back to may: both parameters are read, and the notice names both.
  await ntsol.getByRole('button', { name: 'TLS for mail received by ntsol.example' }).click();
  await dialog.getByLabel('smtpd_tls_security_level =').selectOption('may');
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(ntsol.getByRole('status')).toHaveText(/^smtpd_tls_security_level = may, smtpd_tls_protocols = >=TLSv1\.2: /);
  expect(problems).toEqual([]);
});

/** What no refusal in a form may show: the command, the payload, a request's or a schema's key. */
const KEYS = /payload|saveSecurity|applyAction|setting\.|logon|createAccount|minKeyBits|domainLabel|\blab\.orgs/;

/** The refusal in sight at 1024×700 and 1440×900, light and dark, each screenshot kept; back to 1024×700 light. */
async function refusalShots(page: Page, refusal: Locator, name: string): Promise<void> {
  for (const size of [SMALL, { width: 1440, height: 900 }]) {
    await page.setViewportSize(size);
    for (const choice of ['light', 'dark'] as const) {
      await theme(page, choice);
      await refusal.scrollIntoViewIfNeeded();
      await expectWhollyInWindow(page, refusal, 'the refusal');
      await page.screenshot({ path: `test-results/dialogs-refusal-label-${name}-${size.width}x${size.height}-${choice}.png` });
    }
  }
  await page.setViewportSize(SMALL);
  await theme(page, 'light');
}

test('a refusal names the field by its label in the dialog and the accounts form, with what was wrong and what is accepted', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'starttls-partner');

  // The IMS dialog (Exchange 5.5): its own words for the domain and the account.
  const dialog = await fillNtlmEntry(page);
  await dialog.getByLabel('E-Mail domain').fill('ntsol');
  await dialog.getByRole('button', { name: 'OK' }).click();
  const refusal = dialog.getByRole('alert');
  await expect(refusal).toHaveText('E-Mail domain: expected a domain name such as ntsol.example');
  await dialog.getByLabel('E-Mail domain').fill('ntsol.example');
  await dialog.getByLabel('Account').fill('D'.repeat(201));
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(refusal).toHaveText('Account: is too long (at most 200 characters)');
  await expect(refusal).not.toHaveText(KEYS);
  await refusalShots(page, refusal, 'ims');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  // The partner's Postfix: the same key is its Next-hop domain.
  const ntsol = page.getByRole('article', { name: 'ntsol.example' });
  await ntsol.getByRole('button', { name: 'Add a domain to the security table of ntsol.example' }).click();
  const postfix = page.getByRole('dialog');
  await postfix.getByLabel('Next-hop domain').fill('intellinet..example');
  await postfix.getByRole('button', { name: 'OK' }).click();
  await expect(postfix.getByRole('alert')).toHaveText('Next-hop domain: expected a domain name such as ntsol.example');
  await postfix.getByRole('button', { name: 'Cancel' }).click();
  await expect(postfix).toBeHidden();

  // The accounts form: a name of blanks passes the browser's "required" and reaches the engine.
  await ntsol.getByRole('button', { name: 'New account on ntsol.example' }).click();
  const form = ntsol.getByRole('form', { name: 'New account on ntsol.example' });
  await form.getByLabel('NT domain').fill('   ');
  await form.getByLabel('Account').fill('IMS');
  await form.getByRole('button', { name: 'Create' }).click();
  const accountRefusal = ntsol.getByRole('alert');
  await expect(accountRefusal).toHaveText('NT domain: must not be empty (e.g. INTELLINET)');
  await expect(accountRefusal).not.toHaveText(KEYS);
  await refusalShots(page, accountRefusal, 'account');
  expect(problems).toEqual([]);
});

test('the NT build dialog: the partner installs the 128-bit build, then refuses NTLMv1 at level 5; the card says each, and the next message meets it', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SMALL);
  await openFromList(page, served().url, 'ntlm-one-way');
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  // The story as told: the learner's entry ("Show me"), then m1 sealed with the export build's 40 bits.
  await page.getByRole('button', { name: 'Next step' }).click();
  await page.getByRole('button', { name: 'Show me' }).click();
  for (const i of [1, 2]) {
    await page.getByRole('button', { name: 'Next step' }).click();
    await expect(steps.nth(i)).toHaveAttribute('aria-label', /— passed$/);
  }
  const badge = page.locator('svg.topo g.badge-group[data-point="intellinet-ntsol"]');
  await expect(badge.locator('.detail')).toHaveText('40-bit keys');

  const ntsol = page.getByRole('article', { name: 'ntsol.example' });
  const line = ntsol.locator('#nt-state-ntsol');
  await expect(line).toHaveText('40-bit (export) · LMCompatibilityLevel 2');
  const button = ntsol.getByRole('button', { name: 'NT build of ntsol.example' });
  const dialog = page.getByRole('dialog', { name: 'Windows NT — encryption build and LMCompatibilityLevel' });
  await button.click();
  // It opens on what the server runs now.
  await expect(dialog.getByRole('radio', { name: /^40-bit \(export\)/ })).toBeChecked();
  await expect(dialog.getByRole('radio', { name: /^2 sends/ })).toBeChecked();
  await expect(dialog).toContainText('HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LMCompatibilityLevel');
  await expect(dialog).toContainText('"535 ntlm authentication failed"');
  for (const size of [SMALL, { width: 1440, height: 900 }]) {
    await page.setViewportSize(size);
    for (const choice of ['light', 'dark'] as const) {
      await theme(page, choice);
      await expectWhollyInWindow(page, dialog.getByRole('button', { name: 'OK' }), `OK at ${size.width}×${size.height}`);
      await expectWhollyInWindow(page, dialog.getByRole('button', { name: 'Cancel' }), `Cancel at ${size.width}×${size.height}`);
      await page.screenshot({ path: `test-results/dialogs-nt-build-${size.width}x${size.height}-${choice}.png` });
      // Its dimmed "sends" column and notes keep their contrast in both themes.
      if (size === SMALL) await axe(page, `the NT build dialog, ${choice}`);
    }
  }
  await page.setViewportSize(SMALL);
  await theme(page, 'light');

  // The 128-bit build on the partner: the card says so, and the next message is sealed with 128 bits.
  await dialog.getByRole('radio', { name: /^128-bit \(North America\)/ }).check();
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();
  await expect(line).toHaveText('128-bit (North America) · LMCompatibilityLevel 2');
  await expect(ntsol.getByRole('status')).toHaveText('128-bit (North America) build installed on ntsol.example: the next NTLM session takes it.');
  /** Alice writes to Sean from the Rehearse tab; the message's id as the notice gives it. */
  const send = async (subject: string): Promise<string> => {
    await page.getByRole('tab', { name: 'Rehearse' }).click();
    const compose = page.getByRole('form', { name: 'Compose a message' });
    await compose.getByLabel('Subject').fill(subject);
    await compose.getByRole('button', { name: 'Send' }).click();
    const note = page.getByRole('status').filter({ hasText: /^Message \S+ queued at intellinet/ });
    await expect(note).toBeVisible();
    const ref = /^Message (\S+) /.exec((await note.textContent())!)![1];
    await page.getByRole('tab', { name: 'Topology' }).click();
    return ref;
  };
  const first = await send('After the 128-bit build');
  await expect(badge.locator('.headline')).toHaveText(`NTLM sealed · ${first}`);
  await expect(badge.locator('.detail')).toHaveText('128-bit keys');

  // LMCompatibilityLevel 5: the IMS's NTLMv1 response is refused, and the message bounces with the IMS's 535.
  await button.click();
  await dialog.getByRole('radio', { name: /^5 sends/ }).check();
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();
  await expect(line).toHaveText('128-bit (North America) · LMCompatibilityLevel 5');
  await expect(ntsol.getByRole('status')).toHaveText('LMCompatibilityLevel set to 5 on ntsol.example: the next NTLM session takes it.');
  for (const choice of ['light', 'dark'] as const) {
    await theme(page, choice);
    await line.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `test-results/dialogs-nt-build-card-1024x700-${choice}.png` });
  }
  await theme(page, 'light');
  const second = await send('At level 5');
  await page.getByRole('tab', { name: 'Queue' }).click();
  const row = page.getByRole('table', { name: 'Queue entries' }).getByRole('row').filter({ hasText: `message ${second} ` });
  await expect(row).toContainText('bounced');
  await expect(row).toContainText('535 ntlm authentication failed');
  await page.screenshot({ path: 'test-results/dialogs-nt-build-bounced-1024x700.png' });
  expect(problems).toEqual([]);
});
