// Capture points in a real browser (issue 17, items 3 and 6; docs/packet-view.md):
//  3. a session typed by hand — a raw socket from this test to the port a host card shows — appears
//     in the packet view under the listener's own point, STARTTLS as TLS records, opened with the
//     lab's keys;
//  6. pix-mailguard offers the story's three captures, named from the topology (the PIX is NT
//     Solutions', so the Internet is before it), each numbered from frame 1.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { test, expect, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';
import { nextReply as reply } from '../helpers/net.ts';

const served = servePerFile();
const SIZES = [{ width: 1024, height: 700 }, { width: 1440, height: 900 }] as const;

const packetRows = (page: Page) => page.getByRole('grid', { name: 'Packet list' }).locator('tbody').getByRole('row');
const numbers = async (page: Page) => (await packetRows(page).locator('td.c-no').allInnerTexts()).map(Number);

async function theme(page: Page, choice: 'light' | 'dark'): Promise<void> {
  await page.getByLabel('Theme').selectOption(choice);
  await expect(page.locator('html')).toHaveAttribute('data-theme', choice);
}

async function shots(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const t of ['light', 'dark'] as const) {
      await theme(page, t);
      await page.screenshot({ path: `test-results/${name}-${size.width}x${size.height}-${t}.png` });
    }
  }
  await theme(page, 'light');
}


/** The port the UI shows for the partner's mail host (its listener, reached from outside). */
async function partnerPort(page: Page): Promise<number> {
  const host = page.getByRole('list', { name: 'Hosts of ntsol.example' }).getByRole('listitem').filter({ hasText: 'mail.ntsol.example' });
  await expect(host).toContainText(/listens on 127\.0\.0\.1:\d+/);
  return Number(/listens on 127\.0\.0\.1:(\d+)/.exec(await host.innerText())![1]);
}

/** A session typed by hand: EHLO in clear (which offers STARTTLS), STARTTLS, EHLO again inside TLS, QUIT. */
async function typeStartTls(port: number, helo: string): Promise<void> {
  const raw = net.connect(port, '127.0.0.1');
  expect(await reply(raw)).toMatch(/^220 /);
  raw.write(`EHLO ${helo}\r\n`);
  expect(await reply(raw)).toContain('STARTTLS');
  raw.write('STARTTLS\r\n');
  expect(await reply(raw)).toMatch(/^220 /);
  const secure = tls.connect({ socket: raw, servername: 'mail.ntsol.example', rejectUnauthorized: false });
  await new Promise((resolve) => secure.once('secureConnect', resolve));
  secure.write(`EHLO ${helo}\r\n`);
  expect(await reply(secure)).toMatch(/^250 /m);
  secure.write('QUIT\r\n');
  await reply(secure);
  secure.destroy();
}

/**
 * starttls-partner at `size`, a STARTTLS session typed from outside to the port the partner's mail
 * host card shows, and the packet view on that listener's own capture point.
 */
async function typedFromOutside(page: Page, size: (typeof SIZES)[number], helo: string): Promise<void> {
  await page.setViewportSize(size);
  await openFromList(page, served().url, 'starttls-partner');
  await typeStartTls(await partnerPort(page), helo);
  await page.getByRole('tab', { name: 'Packets' }).click();
  await page.getByRole('radio', { name: /^mail\.ntsol\.example :25 — from outside/ }).check();
}

test('3. a session typed from outside to a host\'s port shows under that listener\'s point, STARTTLS and all', async ({ page }) => {
  const problems = watchPage(page);
  await typedFromOutside(page, SIZES[0], 'outside.example');
  await expect(packetRows(page).filter({ hasText: '[FIN, ACK]' }).or(packetRows(page).filter({ hasText: '[RST, ACK]' })).first()).toBeVisible();
  await expect(packetRows(page).filter({ hasText: 'C: EHLO outside.example' })).toHaveCount(1);
  await expect(packetRows(page).filter({ hasText: 'C: STARTTLS' })).toHaveCount(1);
  await expect(packetRows(page).filter({ hasText: /Client Hello/ })).toHaveCount(1);
  await expect(packetRows(page).first()).toContainText('203.0.113.1');
  const n = await numbers(page);
  expect(n).toEqual(n.map((_x, i) => i + 1));
  await shots(page, 'capture-points-outside');

  // With the lab's keys (the receiving server's own key log), the EHLO inside TLS reads as SMTP.
  await page.getByRole('checkbox', { name: 'Decrypt with lab keys' }).check();
  await expect(packetRows(page).filter({ hasText: 'C: EHLO outside.example' })).toHaveCount(2);
  await page.screenshot({ path: 'test-results/capture-points-outside-decrypted-1440x900-light.png' });
  expect(problems).toEqual([]);
});

test('3. a session from outside links to the receiving server\'s transcript of it, line by line, and back to its packets', async ({ page }) => {
  const problems = watchPage(page);
  // Typed by hand: EHLO twice (in clear, then inside TLS), so only the place tells them apart.
  await typedFromOutside(page, SIZES[1], 'hand.example');
  await expect(packetRows(page).filter({ hasText: 'C: STARTTLS' })).toHaveCount(1);

  // The clear STARTTLS packet: its detail names the session and offers the server's line.
  await packetRows(page).filter({ hasText: 'C: STARTTLS' }).click();
  const detail = page.getByRole('region', { name: /^Packet \d+ detail$/ });
  await expect(detail).toContainText('Session from outside: outside.lab.example [203.0.113.1]');
  const toLine = detail.getByRole('button', { name: /^Show line \d+ of the receiving server's transcript of connection c\d+$/ });
  await toLine.click();
  await expect(page.getByRole('tab', { name: 'Transcript' })).toHaveAttribute('aria-selected', 'true');
  const transcript = page.getByLabel('Receiver transcript');
  await expect(transcript.locator('[aria-current="true"]')).toHaveText('<- STARTTLS');
  await expect(page.getByRole('heading', { name: /^Transcript of connection c\d+$/ })).toBeVisible();
  await page.screenshot({ path: 'test-results/capture-points-outside-transcript-1440x900-light.png' });

  // The second EHLO (inside TLS) is its own line, marked as the server read it — `<~`, in the
  // sender's TLS colour, after the `220` that ended the clear part (docs/ui.md, "Mailboxes and
  // transcripts") — and leads to its own packet: a TLS record.
  const ehlos = transcript.getByRole('button', { name: /^Line \d+: <[-~] EHLO hand\.example — show its packet$/ });
  await expect(ehlos).toHaveCount(2);
  await expect(ehlos.nth(0)).toHaveText('<- EHLO hand.example');
  await expect(ehlos.nth(0)).toHaveClass(/\bclear-in\b/);
  await expect(ehlos.nth(1)).toHaveText('<~ EHLO hand.example');
  await expect(ehlos.nth(1)).toHaveClass(/\btls-in\b/);
  await expect(transcript.locator('[data-line]').filter({ hasText: /^-> 220 .*Ready to start TLS/ })).toHaveClass(/\bclear-out\b/);
  await expect(transcript.locator('[data-line]').filter({ hasText: /^~> 250 / })).toHaveClass(/\btls-out\b/);
  await ehlos.nth(1).click();
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  const selected = page.locator('tbody tr[aria-selected="true"]');
  await expect(selected).toBeInViewport();
  await expect(selected).toContainText(/TLS/);
  await expect(selected).not.toContainText('EHLO');
  // And from that packet back to the same line (the server logged it in clear).
  await detail.getByRole('button', { name: /^Show line \d+ of the receiving server's transcript/ }).click();
  const second = await ehlos.nth(1).getAttribute('data-line');
  await expect(transcript.locator('[aria-current="true"]')).toHaveAttribute('data-line', second!);

  // The first EHLO leads to the clear packet that carried it.
  await ehlos.nth(0).click();
  await expect(selected).toContainText('C: EHLO hand.example');
  expect(problems).toEqual([]);
});

test('3. every listener: the MTA-STS policy host\'s HTTPS sessions (the sender\'s policy fetch) show under its own point', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SIZES[0]);
  await openFromList(page, served().url, 'mta-sts-enforce');
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByRole('region', { name: /Scenario (complete|finished)/ })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('tab', { name: 'Packets' }).click();
  const point = page.getByRole('radio', { name: /^mta-sts\.ntsol\.example :443 \(MTA-STS policy host, HTTPS\)/ });
  await point.check();
  await expect(packetRows(page).filter({ hasText: /Client Hello/ }).first()).toBeVisible();
  await expect(packetRows(page).first()).toContainText('[SYN]');
  // HTTPS from the first byte: nothing of the policy file reads in clear on this point.
  await applyFilterText(page, 'frame contains "STSv1"');
  await expect(page.getByText('No packet matches.')).toBeVisible();
  // The tab strip keeps one row at 1024×700, the queue's count included.
  await expect(page.getByRole('tab', { name: /^Queue/ })).toContainText('1');
  const strip = (await page.getByRole('tablist', { name: 'Lab views' }).boundingBox())!;
  const tab = (await page.getByRole('tab', { name: 'Packets' }).boundingBox())!;
  expect(strip.height).toBeLessThan(tab.height * 1.5);
  await page.screenshot({ path: 'test-results/capture-points-mta-sts-1024x700-light.png' });
  expect(problems).toEqual([]);
});

async function applyFilterText(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Display filter' });
  await box.fill(text);
  await box.press('Enter');
}

test('6. pix-mailguard: sent, on the wire (the Internet, before NT Solutions\' PIX) and received, each numbered from 1', async ({ page }) => {
  const problems = watchPage(page);
  await page.setViewportSize(SIZES[1]);
  await openFromList(page, served().url, 'pix-mailguard');
  await page.getByRole('button', { name: 'Run all steps' }).click();
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  for (let i = 0; i < (await steps.count()); i++) await expect(steps.nth(i)).toHaveAttribute('aria-label', /— passed$/);
  await page.getByRole('tab', { name: 'Packets' }).click();

  const group = page.getByRole('group', { name: 'Capture point' });
  await expect(group.getByRole('radio')).toHaveCount(3);
  const sent = group.getByRole('radio', { name: /^sent \(mail\.intellinet\.example\)/ });
  const wire = group.getByRole('radio', { name: /^on the wire \(the Internet\)/ });
  const received = group.getByRole('radio', { name: /^received \(mail\.ntsol\.example\)/ });
  // The view opens on the Internet.
  await expect(wire).toBeChecked();
  // The Internet is before the PIX: the EHLO as sent; only the receiver got NOOP.
  await expect(packetRows(page).filter({ hasText: 'C: EHLO mail.intellinet.example' }).first()).toBeVisible();
  await expect(packetRows(page).filter({ hasText: /C: NOOP/ })).toHaveCount(0);
  expect((await numbers(page))[0]).toBe(1);
  await shots(page, 'capture-points-pix-wire');

  for (const radio of [sent, wire, received]) {
    await radio.check();
    await expect(packetRows(page).first()).toBeVisible();
    const n = await numbers(page);
    expect(n).toEqual(n.map((_x, i) => i + 1));
    // frame.number reads the point's own numbers.
    const box = page.getByRole('textbox', { name: 'Display filter' });
    await box.fill('frame.number == 1');
    await box.press('Enter');
    await expect(packetRows(page)).toHaveCount(1);
    await expect(packetRows(page).locator('td.c-no')).toHaveText('1');
    await box.fill('');
    await box.press('Enter');
  }
  await received.check();
  const noop = packetRows(page).filter({ hasText: /C: NOOP {24}/ }).first();
  await expect(noop).toBeVisible();
  await noop.click();
  const no = Number(await noop.locator('td.c-no').innerText());
  await expect(page.getByRole('region', { name: `Packet ${no} detail` })).toContainText(`Frame ${no}:`);
  await shots(page, 'capture-points-pix-received');

  // "this point only" downloads the received point's capture alone, named after it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'this point only' }).click()]);
  expect(download.suggestedFilename()).toBe('pix-mailguard-intellinet-ntsol_received.pcapng');
  const bytes = fs.readFileSync((await download.path())!);
  expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
  expect(bytes.includes(Buffer.from('intellinet-ntsol/received'))).toBe(true);
  expect(bytes.includes(Buffer.from('intellinet-ntsol/wire'))).toBe(false);
  expect(problems).toEqual([]);
});
