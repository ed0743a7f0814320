// The topology picture, the replay, the firewall's view and the server logs in a real browser
// (issue 10's "Done means"): each shipped story's link states, the rewrite mark and the counters
// moving, a reset link and a queued envelope, two routes; screenshots at 1024×700 and 1920×1080
// in light and dark; and an axe-core check of each view.
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { servePerFile, watchPage, openFromList } from './serve.ts';
import { axe } from './axe.ts';

const served = servePerFile();

const steps = (page: Page) => page.getByRole('list', { name: 'Steps' }).getByRole('listitem');

async function runAll(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Run all steps' }).click();
  const count = await steps(page).count();
  for (let i = 0; i < count; i++) await expect(steps(page).nth(i)).toHaveAttribute('aria-label', /— passed$/);
}

async function nextStep(page: Page, index: number): Promise<void> {
  await page.getByRole('button', { name: 'Next step' }).click();
  await expect(steps(page).nth(index)).toHaveAttribute('aria-label', /— passed$/);
}

const link = (page: Page, point: string) => page.locator(`svg.topo g.link[data-point="${point}"]`);
const badge = (page: Page, point: string) => page.locator(`svg.topo g.badge-group[data-point="${point}"]`);


/**
 * The whole picture is on screen without scrolling the tab: both organisations' boxes inside the
 * tab's visible area, and their names drawn at least `minText` pixels tall (a projector's back row).
 */
async function expectWholePicture(page: Page, minText: number): Promise<void> {
  const panel = (await page.getByRole('tabpanel').boundingBox())!;
  const orgs = await page.locator('svg.topo rect.org-box').all();
  expect(orgs).toHaveLength(2);
  for (const org of orgs) {
    const b = (await org.boundingBox())!;
    expect(b.y, 'an organisation above the tab\'s top').toBeGreaterThanOrEqual(panel.y);
    expect(b.y + b.height, 'an organisation below the tab\'s bottom').toBeLessThanOrEqual(panel.y + panel.height);
  }
  for (const name of await page.locator('svg.topo text.org-name').all()) expect((await name.boundingBox())!.height).toBeGreaterThanOrEqual(minText);
}

/** Each link's badge holds its words, and lies on no organisation's or firewall's box. */
async function expectTidyBadges(page: Page): Promise<void> {
  const boxes = await Promise.all((await page.locator('svg.topo rect.org-box, svg.topo g.middle rect').all()).map(async (b) => (await b.boundingBox())!));
  for (const group of await page.locator('svg.topo g.badge').all()) {
    const frame = (await group.locator(':scope > rect').boundingBox())!;
    for (const text of await group.locator(':scope > text').all()) {
      const t = (await text.boundingBox())!;
      expect(t.x + t.width, `"${await text.textContent()}" runs out of its badge`).toBeLessThanOrEqual(frame.x + frame.width);
    }
    for (const b of boxes) {
      const apart = frame.x + frame.width <= b.x || b.x + b.width <= frame.x || frame.y + frame.height <= b.y || b.y + b.height <= frame.y;
      expect(apart, `the badge "${await group.textContent()}" lies on a box`).toBe(true);
    }
  }
}

async function theme(page: Page, choice: 'light' | 'dark'): Promise<void> {
  await page.getByLabel('Theme').selectOption(choice);
  await expect(page.locator('html')).toHaveAttribute('data-theme', choice);
}

test.beforeAll(() => fs.mkdirSync('test-results', { recursive: true }));

test('postcard: a red, open link; readable at 1024×700 and 1920×1080, light and dark; axe finds nothing serious', async ({ page }) => {
  const problems = watchPage(page);
  await openFromList(page, served().url, 'postcard');
  await runAll(page);
  const l = link(page, 'intellinet-ntsol');
  await expect(l).toHaveClass(/tone-leak/);
  await expect(l).toHaveAttribute('aria-label', /last session clear, canaries crossed in clear, carried m1/);
  await expect(badge(page, 'intellinet-ntsol').locator('.headline')).toHaveText('clear · m1');
  for (const [w, h] of [[1024, 700], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    for (const t of ['light', 'dark'] as const) {
      await theme(page, t);
      await expectWholePicture(page, 16);
      await page.screenshot({ path: `test-results/topology-postcard-${w}x${h}-${t}.png` });
      await axe(page, `topology ${w}x${h} ${t}`);
    }
  }
  // Below 980 px the story stands above the views and the page scrolls; the picture is still no
  // taller than the window under the top bar, and the top bar's name and status do not overlap.
  await page.setViewportSize({ width: 900, height: 700 });
  const story = (await page.locator('.workspace > .story').boundingBox())!;
  const views = (await page.getByRole('region', { name: 'Lab views' }).boundingBox())!;
  expect(story.y + story.height).toBeLessThanOrEqual(views.y);
  const bar = (await page.locator('header.topbar').boundingBox())!;
  expect((await page.locator('svg.topo').boundingBox())!.height).toBeLessThanOrEqual(700 - bar.height);
  const name = (await page.locator('.app-name').boundingBox())!;
  const status = (await page.getByLabel('Lab status').boundingBox())!;
  expect(name.x + name.width).toBeLessThanOrEqual(status.x);
  await page.locator('svg.topo').scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/topology-postcard-900x700.png' });
  await page.setViewportSize({ width: 1024, height: 700 });
  // A link opens its capture point in the packet view.
  await theme(page, 'light');
  await l.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('radio', { name: /intellinet ↔ ntsol, direct/ })).toBeChecked();
  expect(problems).toEqual([]);
});

test('ntlm-one-way: the link is sealed after the learner\'s change', async ({ page }) => {
  await openFromList(page, served().url, 'ntlm-one-way');
  await page.getByRole('button', { name: 'Next step' }).click();
  await page.getByRole('button', { name: 'Show me' }).click();
  await expect(steps(page).nth(0)).toHaveAttribute('aria-label', /— passed$/);
  await nextStep(page, 1);
  await nextStep(page, 2);
  const l = link(page, 'intellinet-ntsol');
  await expect(l).toHaveClass(/tone-sealed/);
  await expect(badge(page, 'intellinet-ntsol').locator('.headline')).toHaveText('NTLM sealed · m1');
  await expect(badge(page, 'intellinet-ntsol').locator('.detail')).toHaveText('40-bit keys');
  await page.locator('svg.topo').screenshot({ path: 'test-results/topology-ntlm-one-way-sealed.png' });
});

test('pix-mailguard: the rewrite mark on the firewall\'s inside, and the counters moving', async ({ page }) => {
  const problems = watchPage(page);
  await openFromList(page, served().url, 'pix-mailguard');
  await nextStep(page, 0);
  await nextStep(page, 1);
  // The PIX is NT Solutions': its inside link is the receiver's capture, the Internet is outside.
  const inside = link(page, 'intellinet-ntsol/received');
  await expect(inside).toHaveAttribute('aria-label', /rewritten by command-filter/);
  const mark = badge(page, 'intellinet-ntsol/received').locator('.rewrite-mark');
  await expect(mark).toBeVisible();
  // The mark sits on the inside link, at the firewall's end: below the box, above the link's badge.
  const box = (await page.locator('svg.topo g.middle').boundingBox())!;
  const at = (await mark.boundingBox())!;
  const label = (await badge(page, 'intellinet-ntsol/received').locator('.badge').boundingBox())!;
  expect(at.y).toBeGreaterThan(box.y + box.height / 2);
  expect(at.y).toBeLessThan(label.y);
  await page.locator('svg.topo').screenshot({ path: 'test-results/topology-pix-mailguard.png' });
  // The firewall's picture is the tallest of two organisations: it still fits a 1024×700 window.
  await page.setViewportSize({ width: 1024, height: 700 });
  await expectWholePicture(page, 14);
  await expectTidyBadges(page);
  await page.screenshot({ path: 'test-results/topology-pix-mailguard-1024x700.png' });

  await page.getByRole('button', { name: /^Firewall pix-5\.1: on path intellinet-ntsol/ }).click();
  await expect(page.getByRole('tab', { name: 'Firewall' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByLabel('Firewall configuration')).toContainText('fixup protocol smtp 25');
  const counter = (name: string) => page.getByRole('table', { name: 'Firewall counters' }).getByRole('row', { name: new RegExp(`^${name} \\d+$`) }).locator('td');
  await expect(counter('Connections')).toHaveText('1');
  const maskedBefore = Number(await counter('Masked or overwritten').innerText());
  expect(maskedBefore).toBeGreaterThanOrEqual(2);
  await expect(page.getByRole('list', { name: 'Syslog lines' })).toContainText('%PIX-4-108002: SMTP replaced string: out 192.0.2.10 in 198.51.100.25 data: EHLO mail.intellinet.example');
  await page.screenshot({ path: 'test-results/firewall-pix-mailguard.png', fullPage: true });

  await runAll(page);
  await expect.poll(async () => Number(await counter('Connections').innerText())).toBeGreaterThan(1);
  expect(Number(await counter('Masked or overwritten').innerText())).toBeGreaterThan(maskedBefore);
  await axe(page, 'firewall view');
  // A syslog line opens the packet that carries the rewritten bytes.
  await page.getByRole('list', { name: 'Syslog lines' }).getByRole('listitem').filter({ hasText: 'data: EHLO' }).first().getByRole('button').click();
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('region', { name: /^Packet \d+ detail$/ })).toContainText('NOOP');
  expect(problems).toEqual([]);
});

test('asa-breaks-ntlm: a broken-off link and a queued envelope', async ({ page }) => {
  await openFromList(page, served().url, 'asa-breaks-ntlm');
  await runAll(page);
  for (const point of ['intellinet-ntsol/wire', 'intellinet-ntsol/received']) {
    await expect(link(page, point)).toHaveClass(/tone-bad/);
    await expect(badge(page, point).locator('.detail')).toContainText('broke off');
    // The link's reason names what broke the session: the ASA's inspection (issue 17 item 8).
    await expect(link(page, point)).toHaveAttribute('aria-label', /broke off · 128-bit keys \(the firewall \(asa, inspect esmtp\) changed the sealed MAIL FROM/);
    // The words fit inside the badge's frame, whatever the face's widths (the layout only estimates them).
    const fits = await badge(page, point).locator('g.badge').evaluate((g) => {
      const frame = Number(g.querySelector('rect')!.getAttribute('width'));
      return [...g.querySelectorAll('text')].map((t) => frame - (Number(t.getAttribute('x')) + t.getComputedTextLength()));
    });
    for (const room of fits) expect(room, point).toBeGreaterThanOrEqual(8);
  }
  await expect(page.locator('svg.topo .queue-mark')).toHaveText('1 queued');
  await expect(page.getByRole('button', { name: /^mail\.intellinet\.example 192\.0\.2\.10: host of intellinet\.example, 1 message waiting in the queue/ })).toBeVisible();
  await page.locator('svg.topo').screenshot({ path: 'test-results/topology-asa-breaks-ntlm.png' });
});

test('alternate-path: two routes, and the message on the one that bypasses the firewall', async ({ page }) => {
  await openFromList(page, served().url, 'alternate-path');
  await expect(page.locator('svg.topo g.link')).toHaveCount(3);
  await nextStep(page, 0);
  await nextStep(page, 1);
  await expect(badge(page, 'intellinet-ntsol@secure.ntsol.example').locator('.headline')).toHaveText('NTLM sealed · m1');
  await expect(link(page, 'intellinet-ntsol/wire')).toHaveAttribute('aria-label', /no session yet/);
  // Two lanes that do not cross: the route to the right-hand host (secure.…) is the right-hand one,
  // and every badge holds its words and covers no box.
  const [direct, wire] = [(await badge(page, 'intellinet-ntsol@secure.ntsol.example').boundingBox())!, (await badge(page, 'intellinet-ntsol/wire').boundingBox())!];
  expect(direct.x).toBeGreaterThan(wire.x + wire.width);
  await expectTidyBadges(page);
  await page.locator('svg.topo').screenshot({ path: 'test-results/topology-alternate-path.png' });
  await runAll(page);
  await expectTidyBadges(page);
  await expect(badge(page, 'intellinet-ntsol/wire').locator('.headline')).toHaveText('clear · m2');
});

test('mta-sts-enforce: three organisations and the policy host, their names readable at 1024×700', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await openFromList(page, served().url, 'mta-sts-enforce');
  await expect(page.locator('svg.topo rect.org-box')).toHaveCount(3);
  const panel = (await page.getByRole('tabpanel').boundingBox())!;
  const picture = (await page.locator('svg.topo').boundingBox())!;
  expect(picture.x + picture.width).toBeLessThanOrEqual(panel.x + panel.width);
  // Boxes at least 14 px tall (11 px, with 7 to 9 px letters, when the policy host stood beside ntsol and
  // the ellipse spread wider than its badges need).
  for (const name of await page.locator('svg.topo text.org-name').all()) expect((await name.boundingBox())!.height, await name.textContent() ?? '').toBeGreaterThanOrEqual(14);
  const sts = (await page.getByRole('img', { name: 'MTA-STS policy host mta-sts.ntsol.example' }).boundingBox())!;
  expect(sts.y + sts.height).toBeLessThanOrEqual(picture.y + picture.height);
  await page.screenshot({ path: 'test-results/topology-mta-sts-1024x700.png' });
});

test('the replay\'s events are one Tab stop: the arrows walk them, and the next Tab leaves the list', async ({ page }) => {
  await openFromList(page, served().url, 'pix-mailguard');
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(steps(page).last()).toHaveAttribute('aria-label', /— passed$/);
  const events = page.getByRole('list', { name: 'Lab events' }).getByRole('button');
  expect(await events.count(), 'a recording long enough to need this').toBeGreaterThan(50);
  // Live: the last event is the list's stop, the next after the toolbar's speed select.
  await page.getByRole('toolbar', { name: 'Replay controls' }).getByLabel('Speed').focus();
  await page.keyboard.press('Tab');
  await expect(events.last()).toBeFocused();
  await page.keyboard.press('Home');
  await expect(events.first()).toBeFocused();
  await expect(page.getByRole('status').filter({ hasText: /^Event 1 of/ })).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(events.nth(2)).toBeFocused();
  await expect(page.locator('.events li[aria-current="step"]')).toHaveAttribute('data-index', '2');
  // One more Tab leaves the list for what follows it, not for the list's next event.
  await page.keyboard.press('Tab');
  const inList = await page.evaluate(() => !!document.activeElement?.closest('.events'));
  expect(inList, 'Tab stayed in the list of events').toBe(false);
});

test('replay steps through a session event by event, and shows the bytes of the firewall\'s rewrite', async ({ page }) => {
  await openFromList(page, served().url, 'pix-mailguard');
  await nextStep(page, 0);
  await nextStep(page, 1);
  const now = page.locator('.replay-now');
  await page.getByRole('button', { name: 'Next event' }).click();
  await expect(now).toContainText('connect');
  await expect(page.locator('svg.topo .envelope')).toHaveCount(1);
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    const text = await now.innerText();
    seen.push(text);
    if (/^rewrite/i.test(text) && /EHLO/.test(text)) break;
    await page.getByRole('button', { name: 'Next event' }).click();
    await expect(now).not.toHaveText(text);
  }
  expect(seen.some((t) => /command\s+→ EHLO mail\.intellinet\.example/i.test(t))).toBe(true);
  expect(seen.at(-1)).toMatch(/command-filter changed bytes/);
  await expect(page.locator('.events li[aria-current="step"]')).toHaveCount(1);
  await page.locator('.picture').screenshot({ path: 'test-results/replay-pix-mailguard.png' });
  await page.getByRole('button', { name: /^Show the bytes/ }).click();
  await expect(page.getByRole('tab', { name: 'Packets' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('region', { name: /^Packet \d+ detail$/ })).toContainText('NOOP');
});

test('server logs in each profile\'s style; the Exchange 5.5 log says it is reconstructed', async ({ page }) => {
  await openFromList(page, served().url, 'pix-mailguard');
  await nextStep(page, 0);
  await nextStep(page, 1);
  await page.getByRole('tab', { name: 'Server logs' }).click();
  await expect(page.getByRole('region', { name: 'Internet Mail Service log' })).toContainText('Message Transfer');
  await expect(page.getByRole('note')).toContainText('Reconstructed');
  await page.screenshot({ path: 'test-results/logs-exchange-5.5.png', fullPage: true });
  await axe(page, 'server logs');
});
