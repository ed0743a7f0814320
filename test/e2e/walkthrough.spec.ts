/// <reference lib="dom" />
// A trainer's walkthrough, end to end (issue 17), one test per numbered finding, each at the two
// screen sizes a classroom has (1440×900 and 1024×700), with screenshots in test-results/.
import { test, expect, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';
import { axe } from './axe.ts';

const served = servePerFile();
const BIG = { width: 1440, height: 900 };
const SMALL = { width: 1024, height: 700 };

const watch = watchPage;

const openScenario = (page: Page, id: string) => openFromList(page, served().url, id);

const steps = (page: Page) => page.getByRole('list', { name: 'Steps' }).getByRole('listitem');

async function runAll(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Run all steps' }).click();
  await expect(page.getByRole('region', { name: /Scenario (complete|finished)/ })).toBeVisible();
}

async function imsLogon(page: Page, password: string): Promise<void> {
  const intellinet = page.getByRole('article', { name: 'intellinet.example' });
  const edit = intellinet.getByRole('button', { name: 'Edit ntsol.example' });
  const editing = (await edit.count()) > 0;
  if (editing) await edit.click();
  else await intellinet.getByRole('button', { name: 'Add a domain to the security table of intellinet.example' }).click();
  const dialog = page.getByRole('dialog', { name: 'E-Mail Domain security information' });
  if (!editing) await dialog.getByLabel('E-Mail domain').fill('ntsol.example');
  await dialog.getByRole('radio', { name: 'Windows NT challenge/response authentication and encryption' }).check();
  await dialog.getByLabel('NT domain').fill('INTELLINET');
  await dialog.getByLabel('Account').fill('DOUG');
  await dialog.getByLabel('Password', { exact: true }).fill(password);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden();
}

test('1. a wrong password keeps the checkpoint open with a clear hint; the right one passes and m1 is sealed', async ({ page }) => {
  const problems = watch(page);
  await page.setViewportSize(BIG);
  await openScenario(page, 'ntlm-one-way');
  // The story gives the account as the partner's administrator would.
  await expect(page.getByRole('region', { name: /Sealing the road/ })).toContainText('password Sunrise-42');
  await page.getByRole('button', { name: 'Next step' }).click();
  const checkpoint = page.getByRole('region', { name: /Your turn/ });
  // Check and Show me are on screen at 1440×900, without scrolling.
  await expect(checkpoint.getByRole('button', { name: 'Check' })).toBeInViewport();
  await expect(checkpoint.getByRole('button', { name: 'Show me' })).toBeInViewport();

  await imsLogon(page, 'guess');
  await checkpoint.getByRole('button', { name: 'Check' }).click();
  await expect(checkpoint.getByRole('status')).toHaveText('Not yet: ntsol.example\'s server refuses the logon as INTELLINET\\DOUG: the password does not match the account (a real session would get 535 and bounce). Check the password the partner\'s administrator gave you.');
  await expect(steps(page).nth(0)).toHaveAttribute('aria-label', /— pending$/);
  await page.screenshot({ path: 'test-results/walkthrough-1-wrong-password-1440.png' });

  await imsLogon(page, 'Sunrise-42');
  await checkpoint.getByRole('button', { name: 'Check' }).click();
  await expect(steps(page).nth(0)).toHaveAttribute('aria-label', /— passed$/);
  await runAll(page);
  for (let i = 0; i < 6; i++) await expect(steps(page).nth(i)).toHaveAttribute('aria-label', /— passed$/);
  await expect(steps(page).nth(2)).toContainText('m1 is delivered, wire: encrypted, 40-bit key');
  await expect(page.getByRole('region', { name: 'Scenario complete' })).toContainText('What the lab showed');
  await page.screenshot({ path: 'test-results/walkthrough-1-summary-1440.png' });
  await page.setViewportSize(SMALL);
  await page.screenshot({ path: 'test-results/walkthrough-1-summary-1024.png' });
  expect(problems).toEqual([]);
});

test('1. a failed step re-runs after the fix; restart asks first and can keep the learner\'s changes', async ({ page }) => {
  await page.setViewportSize(SMALL);
  await openScenario(page, 'ntlm-one-way');
  await page.getByRole('button', { name: 'Next step' }).click();
  await page.getByRole('region', { name: /Your turn/ }).getByRole('button', { name: 'Show me' }).click();
  // The partner changes DOUG's password; Intellinet does not know yet: m1 bounces, two steps fail.
  const ntsol = page.getByRole('article', { name: 'ntsol.example' });
  await ntsol.getByRole('button', { name: 'Change the password of INTELLINET\\DOUG' }).click();
  await ntsol.getByRole('form', { name: 'New password for INTELLINET\\DOUG' }).getByLabel('New password').fill('Changed-1');
  await ntsol.getByRole('button', { name: 'Set' }).click();
  await runAll(page);
  await expect(steps(page).nth(2)).toHaveAttribute('aria-label', /— failed$/);
  const summary = page.getByRole('region', { name: 'Scenario finished, with failures' });
  await expect(summary).toContainText('What failed, and why');
  await page.screenshot({ path: 'test-results/walkthrough-1-failed-1024.png' });

  await imsLogon(page, 'Changed-1');
  await steps(page).nth(2).getByRole('button', { name: 'Re-run from step 2' }).click();
  await expect(steps(page).nth(1)).toHaveAttribute('aria-label', /— passed$/);
  await page.getByRole('button', { name: 'Run all steps' }).click();
  for (let i = 0; i < 6; i++) await expect(steps(page).nth(i)).toHaveAttribute('aria-label', /— passed$/);

  // Restart asks first; "keeping my changes" keeps the security table, with a fresh queue.
  await page.getByRole('button', { name: 'Restart lab…' }).click();
  const ask = page.getByRole('group', { name: 'Restart the lab?' });
  await expect(ask).toBeVisible();
  await page.screenshot({ path: 'test-results/walkthrough-1-restart-1024.png' });
  await ask.getByRole('button', { name: 'Restart keeping my changes' }).click();
  await expect(steps(page).nth(0)).toHaveAttribute('aria-label', /— pending$/);
  await expect(page.getByRole('table', { name: 'Security table of intellinet.example' })).toContainText('as INTELLINET\\DOUG');
  await page.getByRole('button', { name: 'Next step' }).click();
  await expect(steps(page).nth(0)).toHaveAttribute('aria-label', /— passed$/);
});

test('1. "Restart lab…" brings its question into view, at 1024×700 where it opens below the window', async ({ page }) => {
  const problems = watch(page);
  await page.setViewportSize(SMALL);
  await openScenario(page, 'ntlm-one-way');
  await page.getByRole('button', { name: 'Restart lab…' }).click();
  const ask = page.getByRole('group', { name: 'Restart the lab?' });
  await expect(ask.getByRole('button', { name: 'Cancel' })).toBeInViewport({ ratio: 1 });
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('2. rehearsal in the UI: no inspect esmtp on the ASA, retry now, send by hand with REQUIRETLS, advance the clock', async ({ page }) => {
  const problems = watch(page);
  await page.setViewportSize(BIG);
  await openScenario(page, 'asa-breaks-ntlm');
  await page.getByRole('button', { name: 'Next step' }).click();
  await page.getByRole('button', { name: 'Next step' }).click();
  await expect(steps(page).nth(1)).toHaveAttribute('aria-label', /— passed$/);
  await page.getByRole('tab', { name: /Queue/ }).click();
  await expect(page.getByRole('table', { name: 'Queue entries' })).toContainText('deferred');

  await page.getByRole('tab', { name: 'Rehearse' }).click();
  const fw = page.getByRole('group', { name: 'Firewall on intellinet-ntsol' });
  await expect(fw).toContainText('asa');
  await fw.getByRole('button', { name: 'no inspect esmtp' }).click();
  await expect(fw.getByRole('status')).toHaveText('no inspect esmtp: the next connection on intellinet-ntsol runs pass.');
  await page.screenshot({ path: 'test-results/walkthrough-2-rehearse-1440.png' });

  await page.getByRole('tab', { name: /Queue/ }).click();
  await page.getByRole('button', { name: /^Retry now: / }).first().click();
  await expect(page.getByRole('table', { name: 'Queue entries' }).getByText('delivered')).toBeVisible();

  // A message by hand, with REQUIRETLS: the lab queues it under a hand-N id.
  await page.getByRole('tab', { name: 'Rehearse' }).click();
  const compose = page.getByRole('form', { name: 'Compose a message' });
  await compose.getByLabel('To').fill('sean@ntsol.example');
  await compose.getByLabel('Subject').fill('By hand');
  await compose.getByLabel(/REQUIRETLS/).check();
  await compose.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Message hand-1 queued at intellinet' })).toBeVisible();

  const clock = page.getByRole('form', { name: 'Advance the lab clock' });
  await clock.getByLabel('Advance by').fill('2h');
  await clock.getByRole('button', { name: 'Advance the clock' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Lab clock now' })).toBeVisible();
  await clock.getByLabel('Advance by').fill('soon');
  await clock.getByRole('button', { name: 'Advance the clock' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Advance by: expected a duration such as 90s, 15m, 2h or 2d' })).toBeVisible();
  // A bare number is refused, not taken as milliseconds.
  await clock.getByLabel('Advance by').fill('90');
  await clock.getByRole('button', { name: 'Advance the clock' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Advance by: "90" has no unit: say 90s, 15m, 2h or 2d' })).toBeVisible();
  await page.setViewportSize(SMALL);
  await page.screenshot({ path: 'test-results/walkthrough-2-rehearse-1024.png' });
  expect(problems).toEqual([]);
});

const packetRows = (page: Page) => page.getByRole('grid', { name: 'Packet list' }).locator('tbody').getByRole('row');

/** At this window size, postcard run through, the packet view open on its DATA packet. */
async function postcardDataPacket(page: Page, size: { width: number; height: number }): Promise<void> {
  await page.setViewportSize(size);
  await openScenario(page, 'postcard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(packetRows(page).filter({ hasText: '[FIN, ACK]' })).toHaveCount(2);
  await packetRows(page).filter({ hasText: 'DATA' }).first().click();
}

test('4. the packet view fits: list, detail and bytes on screen at 1440×900 and 1024×700', async ({ page }) => {
  for (const size of [BIG, SMALL]) {
    await postcardDataPacket(page, size);
    // The page itself does not scroll; the three panes share the window.
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight)).toBe(true);
    const list = page.getByRole('grid', { name: 'Packet list' });
    // How many rows the list pane shows at once (its scroll box over one row's height, less the header).
    const rowsShown = await list.evaluate((table) => {
      const box = table.parentElement!;
      const row = table.querySelector('tbody tr')!.getBoundingClientRect().height;
      return Math.floor(box.clientHeight / row) - 1;
    });
    // With a packet chosen the list has half the panes (docs/packet-view.md), the packet the other half.
    expect(rowsShown).toBeGreaterThanOrEqual(size === BIG ? 9 : 5);
    await expect(list).toBeInViewport();
    await expect(page.getByRole('tree', { name: /layers/ })).toBeInViewport();
    await expect(page.getByLabel(/^Frame bytes of packet/)).toBeInViewport();
    // The Info column is visible without scrolling sideways.
    await expect(list.getByRole('columnheader', { name: 'Info' })).toBeInViewport();
    await page.screenshot({ path: `test-results/walkthrough-4-packets-${size.width}.png` });
    await page.getByRole('button', { name: 'Follow stream' }).click();
    await expect(page.getByRole('region', { name: 'Follow stream' })).toBeInViewport();
    await page.screenshot({ path: `test-results/walkthrough-4-follow-${size.width}.png` });
  }
});

test('4. the three panes resize by their splitters, keyboard and mouse, in light and dark', async ({ page }) => {
  const problems = watch(page);
  for (const size of [SMALL, BIG]) {
    await postcardDataPacket(page, size);

    // The splitter between the list and the lower pane: a separator with its value and limits.
    const rows = page.getByRole('separator', { name: 'Resize the packet list' });
    await expect(rows).toHaveAttribute('aria-orientation', 'horizontal');
    await expect(rows).toHaveAttribute('aria-valuemin', '15');
    await expect(rows).toHaveAttribute('aria-valuemax', '80');
    const listBox = page.locator('#pv-list');
    const before = Number(await rows.getAttribute('aria-valuenow'));
    const h0 = (await listBox.boundingBox())!.height;
    await rows.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect(rows).toHaveAttribute('aria-valuenow', String(before + 4));
    expect((await listBox.boundingBox())!.height).toBeGreaterThan(h0);
    await page.keyboard.press('ArrowUp');
    await expect(rows).toHaveAttribute('aria-valuenow', String(before + 2));

    // Dragged with the mouse: down by 60 px makes the list taller by about that much.
    const grip = (await rows.boundingBox())!;
    const h1 = (await listBox.boundingBox())!.height;
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2);
    await page.mouse.down();
    await page.mouse.move(grip.x + grip.width / 2, grip.y + grip.height / 2 - 60, { steps: 4 });
    await page.mouse.up();
    const h2 = (await listBox.boundingBox())!.height;
    expect(h2).toBeLessThan(h1 - 40);
    expect(Number(await rows.getAttribute('aria-valuenow'))).toBeLessThan(before + 2);

    // The splitter between the layers and the bytes: Left/Right, Home/End.
    const cols = page.getByRole('separator', { name: "Resize the packet's layers and bytes" });
    await expect(cols).toHaveAttribute('aria-orientation', 'vertical');
    const tree = page.locator('#pd-tree');
    const w0 = (await tree.boundingBox())!.width;
    await cols.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect((await tree.boundingBox())!.width).toBeGreaterThan(w0);
    await page.keyboard.press('Home');
    await expect(cols).toHaveAttribute('aria-valuenow', '20');
    const colGrip = (await cols.boundingBox())!;
    await page.mouse.move(colGrip.x + colGrip.width / 2, colGrip.y + colGrip.height / 2);
    await page.mouse.down();
    await page.mouse.move(colGrip.x + colGrip.width / 2 + 120, colGrip.y + colGrip.height / 2, { steps: 4 });
    await page.mouse.up();
    expect(Number(await cols.getAttribute('aria-valuenow'))).toBeGreaterThan(25);

    // Still no page scroll, every pane on screen, the Info column visible.
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight)).toBe(true);
    const list = page.getByRole('grid', { name: 'Packet list' });
    await expect(list.getByRole('columnheader', { name: 'Info' })).toBeInViewport();
    await expect(page.getByRole('tree', { name: /layers/ })).toBeInViewport();
    await expect(page.getByLabel(/^Frame bytes of packet/)).toBeInViewport();
    await axe(page, `packet view at ${size.width}`);

    // The places are kept across a reload (the browser's storage).
    const kept = await rows.getAttribute('aria-valuenow');
    await page.reload();
    await expect(page.getByText('Lab running')).toBeVisible({ timeout: 20_000 });
    await page.getByRole('tab', { name: 'Packets' }).click();
    // (The splitter stands under the list once a packet is chosen: until then the list has the height.)
    await packetRows(page).filter({ hasText: 'DATA' }).first().click();
    await expect(page.getByRole('separator', { name: 'Resize the packet list' })).toHaveAttribute('aria-valuenow', kept!);

    for (const theme of ['light', 'dark'] as const) {
      await page.getByRole('combobox', { name: 'Theme' }).selectOption(theme === 'light' ? 'Light' : 'Dark');
      await page.screenshot({ path: `test-results/walkthrough-4-panes-${size.width}-${theme}.png` });
    }
    await axe(page, `packet view at ${size.width}, dark`);
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('System');
    await page.evaluate(() => localStorage.clear());
  }
  expect(problems).toEqual([]);
});

test('5. selection is cleared when the point or the filter hides the packet, kept when it is still shown', async ({ page }) => {
  await page.setViewportSize(BIG);
  await openScenario(page, 'pix-mailguard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  const points = page.getByRole('group', { name: 'Capture point' });
  await points.getByRole('radio').first().check();
  await expect(packetRows(page).first()).toBeVisible();
  const row = packetRows(page).filter({ hasText: 'EHLO' }).first();
  await row.click();
  await expect(page.getByRole('region', { name: /^Packet \d+ detail$/ })).toBeVisible();
  // A filter that still shows it keeps it.
  const box = page.getByRole('textbox', { name: 'Display filter' });
  await box.fill('smtp');
  await box.press('Enter');
  await expect(page.getByRole('region', { name: /^Packet \d+ detail$/ })).toBeVisible();
  for (const size of [SMALL, BIG]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `test-results/walkthrough-5-kept-${size.width}x${size.height}.png` });
  }
  // A bad filter changes nothing: the list and the detail stay as "smtp" left them (Wireshark).
  const status = page.locator('.pl-status');
  const displayed = /Displayed: \d+ \([\d.]+%\)/.exec(await status.innerText())![0];
  await box.fill('smtp ==');
  await box.press('Enter');
  await expect(status).toContainText('Filter not applied');
  await expect(status).toContainText(displayed);
  await expect(packetRows(page).first()).toBeVisible();
  await expect(page.getByRole('region', { name: /^Packet \d+ detail$/ })).toBeVisible();
  await box.fill('');
  await box.press('Enter');
  // The other point does not show this packet: its detail goes.
  await packetRows(page).filter({ hasText: 'EHLO' }).first().click();
  await expect(page.getByRole('region', { name: /^Packet \d+ detail$/ })).toBeVisible();
  await points.getByRole('radio').nth(1).check();
  await expect(page.getByRole('region', { name: /^Packet \d+ detail$/ })).toHaveCount(0);
  await page.screenshot({ path: 'test-results/walkthrough-5-cleared-1440.png' });
});

test('9. the place survives a reload; the picker is a course with descriptions; focus, words and errors', async ({ page }) => {
  await page.setViewportSize(SMALL);
  await page.goto(served().url);
  const cards = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: /^Open scenario/ }) });
  await expect(cards.first()).toContainText('Email between servers travels like a postcard');
  await expect(cards.first()).toContainText('Send one message with no security');
  await page.screenshot({ path: 'test-results/walkthrough-9-picker-1024.png' });
  await page.getByRole('button', { name: /^Open scenario ntlm-one-way:/ }).click();
  await expect(page.getByText('Lab running')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole('heading', { level: 1, name: /Sealing the road/ })).toBeFocused();
  await page.getByRole('button', { name: 'Next step' }).click();
  await page.getByRole('region', { name: /Your turn/ }).getByRole('button', { name: 'Show me' }).click();
  await expect(page).toHaveURL(/#scenario=ntlm-one-way&step=2$/);

  // Reload: the same scenario, the same lab (its security table as changed), the same step.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: /Sealing the road/ })).toBeVisible();
  await expect(steps(page).nth(0)).toHaveAttribute('aria-label', /— passed$/);
  await expect(page.getByRole('table', { name: 'Security table of intellinet.example' })).toContainText('as INTELLINET\\DOUG');

  // A mistake in a dialog reads as a sentence, not as an API message.
  const intellinet = page.getByRole('article', { name: 'intellinet.example' });
  await intellinet.getByRole('button', { name: 'Add a domain to the security table of intellinet.example' }).click();
  const dialog = page.getByRole('dialog', { name: 'E-Mail Domain security information' });
  await dialog.getByLabel('E-Mail domain').fill('not a domain');
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog.getByRole('alert')).toHaveText(/^E-Mail domain: expected a domain name such as ntsol\.example/);
  await expect(dialog.getByRole('alert')).not.toContainText('payload');
  await page.screenshot({ path: 'test-results/walkthrough-9-reloaded-1024.png' });
});

test('9. domains never break mid-word', async ({ page }) => {
  await page.setViewportSize(SMALL);
  await openScenario(page, 'alternate-path');
  // Every text node that holds a host name renders it on whole labels: measure each line box.
  const broken = await page.evaluate(() => {
    const bad: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent ?? '';
      for (const m of text.matchAll(/[a-z0-9-]+(\.[a-z0-9-]+)+\.example/g)) {
        const range = document.createRange();
        range.setStart(n, m.index!);
        range.setEnd(n, m.index! + m[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        if (rects.length > 1) {
          // More than one line: each break must fall right after a dot.
          let ok = true;
          for (let i = m.index! + 1; i < m.index! + m[0].length && ok; i++) {
            const r = document.createRange();
            r.setStart(n, i - 1);
            r.setEnd(n, i + 1);
            const two = [...r.getClientRects()].filter((x) => x.width > 0);
            if (two.length > 1 && Math.abs(two[0].top - two[1].top) > 2 && text[i - 1] !== '.') ok = false;
          }
          if (!ok) bad.push(m[0]);
        }
      }
    }
    return bad;
  });
  expect(broken).toEqual([]);
  await page.screenshot({ path: 'test-results/walkthrough-9-domains-1024.png', fullPage: true });
});

test('9. the tab strip stays put: one row, each tab where it was, whichever tab is open', async ({ page }) => {
  const problems = watch(page);
  for (const size of [SMALL, BIG]) {
    await page.setViewportSize(size);
    await openScenario(page, 'pix-mailguard');
    const strip = page.getByRole('tablist', { name: 'Lab views' });
    const tabs = strip.getByRole('tab');
    const names = await tabs.allInnerTexts();
    expect(names).toHaveLength(9);
    // Where each tab's left edge is, with the tab `open` selected: exactly where it was (the
    // selected tab is marked by a bar and its colours, not a bolder, wider face).
    const edges = async (open: string) => {
      await strip.getByRole('tab', { name: open }).click();
      await expect(strip.getByRole('tab', { name: open })).toHaveAttribute('aria-selected', 'true');
      const boxes = await Promise.all(names.map((_, i) => tabs.nth(i).boundingBox()));
      const box = (await strip.boundingBox())!;
      expect(box.height, `one row of tabs at ${size.width}×${size.height} on ${open}`).toBeLessThan(boxes[0]!.height * 1.5);
      return boxes.map((b) => b!.x);
    };
    const onTopology = await edges('Topology');
    for (const open of ['Queue', 'Mailboxes', 'Packets', 'Server logs']) {
      const here = await edges(open);
      here.forEach((x, i) => expect(Math.abs(x - onTopology[i]), `${names[i]} with ${open} open at ${size.width}×${size.height}`).toBeLessThan(0.5));
    }
  }
  expect(problems).toEqual([]);
});
