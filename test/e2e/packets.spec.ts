// The packet view in a real browser (docs/packet-view.md): what a trainer does when a story says "open the
// packet view" — leaks flagged, a display filter, a bad filter, Follow stream, the lab's keys, and
// a firewall path's two capture points with the middlebox's rewrite and its original bytes.
import fs from 'node:fs';
import { test, expect, type Locator, type Page } from '@playwright/test';
import { openFromList, servePerFile, watchPage } from './serve.ts';

const served = servePerFile();

const watch = watchPage;

const openScenario = (page: Page, id: string) => openFromList(page, served().url, id);

async function runAll(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Run all steps' }).click();
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  const count = await steps.count();
  for (let i = 0; i < count; i++) await expect(steps.nth(i)).toHaveAttribute('aria-label', /— passed$/);
}

const packetRows = (page: Page) => page.getByRole('grid', { name: 'Packet list' }).locator('tbody').getByRole('row');

/** A bytes pane's text column, its rows joined (8 or 16 bytes a row, as the pane's width allows). */
async function textColumn(dump: Locator): Promise<string> {
  return (await dump.locator('.hd-ascii').allTextContents()).join('');
}

async function applyFilter(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Display filter' });
  await box.fill(text);
  await box.press('Enter');
}

test('postcard: leaks flagged, a display filter, a bad filter, and Follow stream', async ({ page }) => {
  const problems = watch(page);
  await openScenario(page, 'postcard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();

  // One direct path, one capture point, with its count.
  await expect(page.getByRole('radio', { name: /intellinet ↔ ntsol, direct/ })).toBeChecked();
  // (Wait for the connection's tear-down, which may land just after the last step.)
  await expect(packetRows(page).filter({ hasText: '[FIN, ACK]' })).toHaveCount(2);
  const point = page.getByRole('group', { name: 'Capture point' });
  await expect(point).toContainText(/\d+ packets/);
  const total = Number(/(\d+) packets/.exec(await point.innerText())![1]);
  expect(total).toBeGreaterThanOrEqual(16);
  await expect(packetRows(page)).toHaveCount(total);

  // The DATA segment carries the canaries: flagged, with a name a screen reader says.
  const leaks = packetRows(page).filter({ hasText: 'Leak: carries canary text in clear' });
  await expect(leaks).toHaveCount(1);
  await expect(leaks.first()).toContainText('SMTP/IMF');
  await expect(page.getByText('⚠ 1 with canaries in clear')).toBeVisible();
  await page.screenshot({ path: 'test-results/packets-postcard-list.png', fullPage: true });

  // "Leaks only" keeps just that row.
  await page.getByRole('checkbox', { name: 'Leaks only' }).check();
  await expect(packetRows(page)).toHaveCount(1);
  await page.getByRole('checkbox', { name: 'Leaks only' }).uncheck();
  await expect(packetRows(page)).toHaveCount(total);

  // A Wireshark filter, applied on Enter: exactly the MAIL command.
  await applyFilter(page, 'smtp.req.command == "MAIL"');
  await expect(packetRows(page)).toHaveCount(1);
  await expect(packetRows(page).first()).toContainText('MAIL FROM:<alice@intellinet.example>');
  await expect(page.getByText(`Displayed: 1 (${(100 / total).toFixed(1)}%)`)).toBeVisible();

  // Selecting it shows its layers, its bytes and the session it belongs to.
  await packetRows(page).first().click();
  await expect(packetRows(page).first()).toHaveAttribute('aria-selected', 'true');
  const detail = page.getByRole('region', { name: /^Packet \d+ detail$/ });
  const command = detail.getByRole('treeitem', { name: /^Command Line: MAIL FROM:<alice@intellinet.example>/ });
  await expect(command).toHaveAttribute('aria-expanded', 'false');
  await command.click();
  await expect(detail.getByRole('treeitem', { name: 'Command: MAIL', exact: true })).toBeVisible();
  await expect(detail.getByRole('tab', { name: /^Frame/ })).toHaveAttribute('aria-selected', 'true');
  await expect.poll(() => textColumn(detail.getByLabel(/^Frame bytes of packet/))).toContain('MAIL FROM:');
  await expect(detail).toContainText('scenario message m1');
  // The outer layers start closed and open on a click, as in Wireshark.
  const ip = detail.getByRole('treeitem', { name: /^Internet Protocol Version 4/ });
  await expect(ip).toHaveAttribute('aria-expanded', 'false');
  await ip.click();
  await expect(ip).toHaveAttribute('aria-expanded', 'true');
  await expect(detail.getByRole('treeitem', { name: 'Source Address: 192.0.2.10' })).toBeVisible();
  await page.screenshot({ path: 'test-results/packets-postcard-detail.png', fullPage: true });

  // A filter that does not parse: the engine's message, the place marked, no exception.
  await applyFilter(page, 'smtp.req.command == ');
  const box = page.getByRole('textbox', { name: 'Display filter' });
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('alert')).toContainText('Bad filter:');
  await expect(page.getByRole('alert')).toContainText('The mistake is at character 21.');
  // As in Wireshark, the list and the selection stay as the last valid filter left them.
  await expect(page.locator('.pl-status')).toContainText('Filter not applied: the list keeps "smtp.req.command == "MAIL""');
  await expect(packetRows(page)).toHaveCount(1);
  await expect(packetRows(page).first()).toHaveAttribute('aria-selected', 'true');
  await expect(detail).toBeVisible();
  await page.screenshot({ path: 'test-results/packets-bad-filter.png', fullPage: true });

  // Follow stream of the selected packet's connection: client and server, and the message text.
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(packetRows(page)).toHaveCount(total);
  await packetRows(page).filter({ hasText: 'MAIL FROM' }).first().click();
  await page.getByRole('button', { name: 'Follow stream', exact: true }).click();
  const stream = page.getByRole('region', { name: 'Follow stream' });
  await expect(stream.getByLabel('Stream text')).toContainText('Hi Sean');
  await expect(stream.locator('.fs-part.client').first()).toContainText('EHLO mail.intellinet.example');
  await expect(stream.locator('.fs-part.server').first()).toContainText('220 mail.ntsol.example');
  await expect(stream.getByLabel('Stream text')).toBeInViewport();
  await page.screenshot({ path: 'test-results/packets-postcard-follow.png', fullPage: true });
  // The stream stands in the packet's place; Close brings the packet back.
  await expect(detail).toHaveCount(0);
  await stream.getByRole('button', { name: 'Close' }).click();
  await expect(detail).toBeVisible();

  // The session link opens the transcript of that queue entry, on the line the packet carries.
  await page.getByRole('button', { name: /^Show transcript line \d+ of / }).click();
  await expect(page.getByRole('tab', { name: 'Transcript' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByLabel('Sender transcript').locator('[aria-current="true"]')).toHaveText(/^-> MAIL FROM:<alice@intellinet\.example>/);

  expect(problems).toEqual([]);
});

test('ntlm-one-way: the sealed stream hides MAIL FROM until "decrypt with lab keys" is on', async ({ page }) => {
  const problems = watch(page);
  await openScenario(page, 'ntlm-one-way');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(page.getByRole('checkbox', { name: 'Decrypt with lab keys' })).not.toBeChecked();

  await applyFilter(page, 'ntlmssp');
  await expect(packetRows(page)).toHaveCount(3);
  await packetRows(page).filter({ hasText: 'NTLMSSP_AUTH' }).click();
  const detail = page.getByRole('region', { name: /^Packet \d+ detail$/ });
  await expect(detail.getByRole('treeitem', { name: 'User name: DOUG' })).toBeVisible();

  await page.getByRole('button', { name: 'Follow stream', exact: true }).click();
  const text = page.getByRole('region', { name: 'Follow stream' }).getByLabel('Stream text');
  await expect(text).toContainText('AUTH NTLM');
  await expect(text).toContainText('235 ntlm authentication successful');
  await expect(text).not.toContainText('MAIL FROM');
  await expect(page.getByRole('region', { name: 'Follow stream' })).toContainText('as an eavesdropper reads it');
  await page.screenshot({ path: 'test-results/packets-ntlm-sealed.png', fullPage: true });

  // With the lab's keys: said plainly, and the sealed frames open.
  await page.getByRole('checkbox', { name: 'Decrypt with lab keys' }).check();
  await expect(page.getByRole('status').filter({ hasText: "Decrypted with the lab's keys" })).toBeVisible();
  await expect(text).toContainText('MAIL FROM:<alice@intellinet.example>');
  await expect(page.getByRole('region', { name: 'Follow stream' })).toContainText("decrypted with the lab's keys");

  // The list decrypts too: the sealed MAIL is an SMTP command again, with an unsealed-bytes pane.
  await applyFilter(page, 'smtp.req.command == "MAIL"');
  await expect(packetRows(page)).toHaveCount(2);
  await packetRows(page).filter({ hasText: 'MAIL FROM:<alice@intellinet.example>' }).click();
  await detail.getByRole('tab', { name: /^Unsealed SASL/ }).click();
  await expect.poll(() => textColumn(detail.getByLabel(/^Unsealed SASL bytes of packet/))).toContain('MAIL FROM:<alice');
  await page.screenshot({ path: 'test-results/packets-ntlm-decrypted.png', fullPage: true });

  expect(problems).toEqual([]);
});

test('a firewall path: three capture points, the rewrite marked with its original bytes, refresh keeps the selection', async ({ page }) => {
  const problems = watch(page);
  await openScenario(page, 'asa-strips-starttls');
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(page.getByText(/No capture point yet|Nothing captured here yet/)).toBeVisible();

  // The first message goes out while the packet view is open: rows arrive with the lab's events.
  await page.getByRole('button', { name: 'Next step' }).click();
  await expect(page.getByRole('radio', { name: /^on the wire \(the Internet\)/ })).toBeChecked();
  // The receiver's own capture: the reply as its server sent it, before the ASA (NT Solutions') masked it.
  await page.getByRole('radio', { name: /^received \(mail\.ntsol\.example\)/ }).check();
  await expect(packetRows(page).filter({ hasText: '250-STARTTLS' })).toHaveCount(1);

  // On the Internet (and at the sender), the EHLO reply has STARTTLS masked.
  await page.getByRole('radio', { name: /^on the wire \(the Internet\)/ }).check();
  const masked = packetRows(page).filter({ hasText: '250-XXXXXXXA' });
  await expect(masked).toHaveCount(1);
  await expect(masked).toContainText('Rewritten by a middlebox');
  await masked.click();
  const marks = page.getByRole('group', { name: 'Middlebox marks' });
  await expect(marks).toContainText('changed');
  await expect(marks).toContainText('250-STARTTLS');
  const selected = await masked.getAttribute('id');
  const before = await packetRows(page).count();
  await page.screenshot({ path: 'test-results/packets-firewall-marks.png', fullPage: true });

  // More traffic (the rest of the scenario): the list grows, the selection stays.
  await runAll(page);
  await expect.poll(() => packetRows(page).count()).toBeGreaterThan(before);
  await expect(page.locator(`#${selected}`)).toHaveAttribute('aria-selected', 'true');
  await expect(marks).toContainText('250-STARTTLS');

  expect(problems).toEqual([]);
});

/** `n` more messages through the lab's own API (the same socket the page uses, with its cookie). */
async function sendMore(page: Page, n: number): Promise<void> {
  const socketUrl = served().origin.replace(/^http/, 'ws') + 'ws';
  await page.evaluate(async ({ url, n }) => {
    const ws = new WebSocket(url);
    await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
    const answers = new Map<number, (ok: boolean) => void>();
    ws.addEventListener('message', (m) => {
      const msg = JSON.parse(String(m.data)) as { id?: number; ok?: boolean };
      if (typeof msg.id === 'number') answers.get(msg.id)?.(msg.ok === true);
    });
    for (let i = 1; i <= n; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        answers.set(i, resolve);
        ws.send(JSON.stringify({ id: i, command: 'sendMessage', payload: { id: `x${i}`, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: `More ${i}`, body: 'Hi Sean, again.' } }));
      });
      if (!ok) throw new Error(`sendMessage x${i} was refused`);
    }
    ws.close();
  }, { url: socketUrl, n });
}

test('1. a capture of several hundred packets: the list renders only what is on screen, scrolls to the last frame, and End selects it', async ({ page }) => {
  const problems = watch(page);
  await page.setViewportSize({ width: 1024, height: 700 });
  await openScenario(page, 'postcard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(packetRows(page).first()).toBeVisible();

  await sendMore(page, 14);
  await expect(page.getByText('⚠ 15 with canaries in clear')).toBeVisible({ timeout: 30_000 });
  const grid = page.getByRole('grid', { name: 'Packet list' });
  // Wait for the last tear-down, then read the total the grid announces (header row + packets).
  await expect(packetRows(page).first()).toBeVisible();
  await expect.poll(async () => Number(await grid.getAttribute('aria-rowcount')) - 1, { timeout: 15_000 }).toBeGreaterThan(250);
  const status = page.locator('.pl-status');
  await expect.poll(async () => {
    const a = Number(await grid.getAttribute('aria-rowcount')) - 1;
    await page.waitForTimeout(400);
    return a === Number(await grid.getAttribute('aria-rowcount')) - 1;
  }).toBe(true);
  const total = Number(await grid.getAttribute('aria-rowcount')) - 1;
  await expect(status).toContainText(`Packets: ${total}`);

  // Far fewer rows in the DOM than packets, and no paging buttons anywhere.
  const rendered = await packetRows(page).count();
  expect(rendered).toBeGreaterThan(5);
  expect(rendered).toBeLessThan(total / 5);
  await expect(page.getByRole('button', { name: /page/i })).toHaveCount(0);
  await expect(grid.getByRole('columnheader', { name: 'Length' })).toBeVisible();
  await expect(grid.getByRole('columnheader', { name: 'Info' })).toBeInViewport();

  // The header stays put while the list scrolls; the end of the list shows the last frame.
  const scroller = page.locator('.pl-scroll');
  await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await expect(page.locator(`#packet-${total}`)).toBeInViewport();
  await expect(page.locator(`#packet-${total}`)).toHaveAttribute('aria-rowindex', String(total + 1));
  await expect(grid.getByRole('columnheader', { name: 'No.' })).toBeInViewport();
  expect(await packetRows(page).count()).toBeLessThan(total / 5);
  await page.screenshot({ path: 'test-results/packets-virtual-end.png' });

  // Back to the top; the keyboard walks the list and keeps the selection in view.
  await scroller.evaluate((el) => el.scrollTo(0, 0));
  await packetRows(page).first().click();
  await expect(page.locator('#packet-1')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('#packet-3')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#packet-3')).toBeFocused();
  await page.keyboard.press('PageDown');
  const afterPage = page.locator('tbody tr[aria-selected="true"]');
  await expect(afterPage).toBeInViewport();
  expect(Number((await afterPage.getAttribute('id'))!.replace('packet-', ''))).toBeGreaterThan(6);

  // End: the last packet selected, in view, focused, and its detail shown.
  await page.keyboard.press('End');
  await expect(page.locator(`#packet-${total}`)).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator(`#packet-${total}`)).toBeInViewport();
  await expect(page.locator(`#packet-${total}`)).toBeFocused();
  await expect(page.getByRole('region', { name: `Packet ${total} detail` })).toBeVisible();
  await expect(page.getByRole('heading', { name: `Packet ${total}` })).toBeInViewport();
  await page.screenshot({ path: 'test-results/packets-virtual-end-selected.png' });

  // Home: back to frame 1; Up from the top stays there.
  await page.keyboard.press('Home');
  await expect(page.locator('#packet-1')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#packet-1')).toBeInViewport();
  await expect(page.getByRole('region', { name: 'Packet 1 detail' })).toBeVisible();

  // A filter that keeps the selected packet keeps it selected, wherever it lands in the list.
  await page.keyboard.press('End');
  await expect(page.getByRole('region', { name: `Packet ${total} detail` })).toBeVisible();
  await applyFilter(page, 'tcp');
  await expect(page.locator(`#packet-${total}`)).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator(`#packet-${total}`)).toBeInViewport();

  // Kept where its index is not its frame number: the last QUIT among the packets that carry
  // data. The keyboard moves from the index the engine gave, so Up must land on the row just
  // above it in the new list (a wrong index would select another packet).
  await applyFilter(page, 'smtp.req.command == "QUIT"');
  await expect(page.getByText('Select a packet to see its layers and bytes.')).toBeVisible();
  await packetRows(page).last().click();
  const quitNo = Number((await page.locator('tbody tr[aria-selected="true"]').getAttribute('id'))!.replace('packet-', ''));
  await expect(page.getByRole('region', { name: `Packet ${quitNo} detail` })).toBeVisible();
  await applyFilter(page, 'tcp.len > 0');
  const quit = page.locator(`#packet-${quitNo}`);
  await expect(quit).toHaveAttribute('aria-selected', 'true');
  await expect(quit).toBeInViewport();
  await expect(page.getByRole('region', { name: `Packet ${quitNo} detail` })).toBeVisible();
  const quitRow = Number(await quit.getAttribute('aria-rowindex'));
  expect(quitRow - 2).toBeLessThan(quitNo - 1);
  await quit.focus();
  await page.keyboard.press('ArrowUp');
  await expect(page.locator(`tbody tr[aria-rowindex="${quitRow - 1}"]`)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(quit).toHaveAttribute('aria-selected', 'true');
  // A filter that hides it clears the selection, and the detail empties.
  await applyFilter(page, 'tcp.len == 0');
  await expect(page.getByText('Select a packet to see its layers and bytes.')).toBeVisible();
  await expect(page.locator('tbody tr[aria-selected="true"]')).toHaveCount(0);
  await applyFilter(page, '');
  await packetRows(page).first().click();

  // The tree answers the keyboard too: Right opens a layer, Left closes it.
  const frame = page.getByRole('treeitem', { name: /^Frame \d+:/ });
  await frame.focus();
  await page.keyboard.press('ArrowRight');
  await expect(frame).toHaveAttribute('aria-expanded', 'true');
  await page.keyboard.press('ArrowLeft');
  await expect(frame).toHaveAttribute('aria-expanded', 'false');

  expect(problems).toEqual([]);
});

test('the capture downloads as pcapng from the packet view', async ({ page }) => {
  const problems = watch(page);
  await openScenario(page, 'postcard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download pcapng' }).click()]);
  expect(download.suggestedFilename()).toBe('postcard.pcapng');
  const bytes = fs.readFileSync(await download.path());
  expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
  expect(bytes.includes(Buffer.from('MAIL FROM:<alice@intellinet.example>'))).toBe(true);
  expect(problems).toEqual([]);
});

/** Scroll areas (overflow auto or scroll, with something to scroll) in or around the packet view that sit inside another one. */
async function nestedScrollAreas(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const tab = document.querySelector('.packets')!;
    const name = (el: Element) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${[...el.classList].filter((c) => !c.startsWith('svelte-')).join('.')}`;
    const scrolls = (el: Element) => {
      const s = getComputedStyle(el);
      return (/auto|scroll/.test(s.overflowY) && el.scrollHeight > el.clientHeight + 1) || (/auto|scroll/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1);
    };
    const areas = [...document.querySelectorAll('*')].filter((el) => (tab.contains(el) || el.contains(tab)) && scrolls(el));
    return areas.flatMap((inner) => areas.filter((outer) => outer !== inner && outer.contains(inner)).map((outer) => `${name(inner)} scrolls inside ${name(outer)}`));
  });
}

/** The tab scrolls sideways, or its content runs out of it to the right. */
async function tabOverflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const panel = document.getElementById('tabpanel-packets')!;
    const section = panel.querySelector('.packets')!;
    return panel.scrollWidth > panel.clientWidth + 1 || section.scrollWidth > section.clientWidth + 1;
  });
}

/**
 * Per column of the packet list: its width, the widest text it holds (header or cell, measured on
 * the text itself) plus the cell's padding, and whether any of its cells cuts its text.
 */
async function columnFit(page: Page): Promise<{ name: string; width: number; needs: number; cut: string[] }[]> {
  return page.getByRole('grid', { name: 'Packet list' }).evaluate((table) => {
    const heads = [...table.querySelectorAll('thead th')];
    const rows = [...table.querySelectorAll('tbody tr:not(.pl-pad)')];
    return heads.map((th, i) => {
      const cells = [th, ...rows.map((r) => r.children[i])] as HTMLElement[];
      let needs = 0;
      const cut: string[] = [];
      for (const cell of cells) {
        const s = getComputedStyle(cell);
        // The text a reader sees (not a screen reader's extra words), from its leftmost to its rightmost glyph.
        const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        let left = Infinity, right = -Infinity;
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          if (!n.textContent!.trim() || n.parentElement!.closest('.sr-only')) continue;
          const range = document.createRange();
          range.selectNodeContents(n);
          const r = range.getBoundingClientRect();
          left = Math.min(left, r.left);
          right = Math.max(right, r.right);
        }
        if (right > left) needs = Math.max(needs, right - left + parseFloat(s.paddingLeft) + parseFloat(s.paddingRight));
        if (cell.scrollWidth > cell.clientWidth) cut.push(cell.textContent!.trim());
      }
      return { name: th.textContent!.trim() || '(flag)', width: th.getBoundingClientRect().width, needs, cut };
    });
  });
}

/** How many lines of `lineOf`'s text the scroll area shows at once (its height inside its padding). */
async function linesShown(page: Page, area: string, lineOf: string): Promise<number> {
  return page.evaluate(([area, lineOf]) => {
    const el = document.querySelector(area)!;
    const s = getComputedStyle(el);
    const line = parseFloat(getComputedStyle(document.querySelector(lineOf)!).lineHeight);
    return Math.floor((el.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)) / line);
  }, [area, lineOf]);
}

/** WCAG contrast of an element's text against the background of the nearest ancestor that has one (opaque here). */
async function contrast(page: Page, selector: string): Promise<number[]> {
  return page.locator(selector).evaluateAll((els) => els.map((el) => {
    const rgb = (c: string) => c.match(/[\d.]+/g)!.slice(0, 3).map(Number);
    let bgEl: Element | null = el;
    while (bgEl && /rgba\(.*, 0\)|transparent/.test(getComputedStyle(bgEl).backgroundColor)) bgEl = bgEl.parentElement;
    const lum = (c: number[]) => {
      const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const a = lum(rgb(getComputedStyle(el).color));
    const b = lum(rgb(getComputedStyle(bgEl ?? document.body).backgroundColor));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }));
}

test('selected rows and the filter error mark meet WCAG AA (4.5:1) in light and dark', async ({ page }) => {
  const problems = watch(page);
  await openScenario(page, 'postcard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(packetRows(page).filter({ hasText: '[FIN, ACK]' })).toHaveCount(2);
  for (const theme of ['Light', 'Dark']) {
    await page.getByRole('combobox', { name: 'Theme' }).selectOption(theme);
    // A control row, an SMTP row and the leak row, each selected in turn.
    for (const row of [packetRows(page).filter({ hasText: '[SYN]' }), packetRows(page).filter({ hasText: 'C: MAIL FROM' }), packetRows(page).filter({ hasText: 'Leak: carries canary text' })]) {
      await row.click();
      await expect(row).toHaveAttribute('aria-selected', 'true');
      await page.mouse.move(0, 0);
      const ratios = await contrast(page, 'tbody tr[aria-selected="true"] td:not(.c-flag), tbody tr[aria-selected="true"] .flag');
      expect(ratios.length).toBeGreaterThan(6);
      for (const r of ratios) expect(r, `${theme}: selected row`).toBeGreaterThanOrEqual(4.5);
    }
    await applyFilter(page, 'smtp &&& tls');
    await expect(page.locator('.fb-where mark')).toBeVisible();
    const [mark] = await contrast(page, '.fb-where mark');
    expect(mark, `${theme}: the filter error's mark`).toBeGreaterThanOrEqual(4.5);
    await applyFilter(page, '');
  }
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('System');
  expect(problems).toEqual([]);
});

test('a filter that does not parse keeps the last valid filter\'s list and selection, and the status bar says so', async ({ page }) => {
  const problems = watch(page);
  await openScenario(page, 'postcard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(packetRows(page).filter({ hasText: '[FIN, ACK]' })).toHaveCount(2);
  const status = page.locator('.pl-status');
  const box = page.getByRole('textbox', { name: 'Display filter' });
  const total = Number(/Packets: (\d+)/.exec(await status.innerText())![1]);

  // From no filter at all: the whole list stays.
  await applyFilter(page, 'nosuchfield == 3');
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('alert')).toContainText('Bad filter:');
  await expect(status).toContainText('Filter not applied');
  await expect(status).toContainText(`Displayed: ${total} (100.0%)`);
  await expect(packetRows(page)).toHaveCount(total);

  // From a valid filter, with a packet chosen: list, selection and detail stay, for every kind of mistake.
  await applyFilter(page, 'smtp');
  await expect(status).not.toContainText('Filter not applied');
  const shown = await packetRows(page).count();
  expect(shown).toBeLessThan(total);
  const displayed = /Displayed: \d+ \([\d.]+%\)/.exec(await status.innerText())![0];
  const mail = packetRows(page).filter({ hasText: 'C: MAIL FROM' });
  await mail.click();
  const detail = page.getByRole('region', { name: /^Packet \d+ detail$/ });
  await expect(detail).toBeVisible();
  for (const bad of ['smtp &&& tls', 'smtp.req.command == ', 'nosuchfield == 3']) {
    await applyFilter(page, bad);
    await expect(box).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByRole('alert')).toContainText('Bad filter:');
    await expect(page.locator('.fb-where mark')).toBeVisible();
    await expect(status).toContainText('Filter not applied');
    await expect(status).toContainText('"smtp"');
    await expect(status).toContainText(displayed);
    await expect(packetRows(page)).toHaveCount(shown);
    await expect(mail).toHaveAttribute('aria-selected', 'true');
    await expect(detail).toBeVisible();
    await expect(page.getByText('Select a packet to see its layers and bytes.')).toHaveCount(0);
  }
  await page.screenshot({ path: 'test-results/packets-filter-not-applied.png' });

  // New packets while the typed filter is still wrong: the list refreshes under the last valid filter.
  await sendMore(page, 1);
  await expect.poll(() => packetRows(page).count(), { timeout: 30_000 }).toBeGreaterThan(shown);
  await expect(status).toContainText('Filter not applied');
  await expect(mail.first()).toHaveAttribute('aria-selected', 'true');

  // A valid filter applies again: the note goes.
  await applyFilter(page, 'tcp');
  await expect(box).not.toHaveAttribute('aria-invalid', 'true');
  await expect(status).not.toContainText('Filter not applied');
  await expect(mail.first()).toHaveAttribute('aria-selected', 'true');
  expect(problems).toEqual([]);
});

test('the packet view uses its room at 1024×700 and 1920×1080: Info takes the spare width, the detail and Follow stream a real share of the height, one scroll area per pane', async ({ page }) => {
  const problems = watch(page);
  await openScenario(page, 'postcard');
  await runAll(page);
  await page.getByRole('tab', { name: 'Packets' }).click();
  await expect(packetRows(page).filter({ hasText: '[FIN, ACK]' })).toHaveCount(2);
  const grid = page.getByRole('grid', { name: 'Packet list' });
  const lower = page.getByRole('region', { name: 'Selected packet' });
  const mail = packetRows(page).filter({ hasText: 'C: MAIL FROM' });
  const info = mail.locator('td').last();
  const total = await packetRows(page).count();

  for (const size of [{ width: 1024, height: 700 }, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(size);
    await expect(page.getByText('Select a packet to see its layers and bytes.')).toBeVisible();
    const panes = (await page.locator('.pv-panes').boundingBox())!;

    // Before a packet is chosen the list has the panes' height: no empty lower pane under it.
    const list = (await page.locator('#pv-list').boundingBox())!;
    expect(panes.y + panes.height - (list.y + list.height), 'room left under the list').toBeLessThan(48);

    // The fixed columns are as wide as what they hold, never cutting it; Protocol's longest
    // value (SMTP/IMF) included; the Info column takes the rest.
    const columns = await columnFit(page);
    for (const c of columns.filter((c) => c.name !== 'Info')) {
      expect(c.cut, `${c.name} cut at ${size.width}`).toEqual([]);
      expect(c.width, `${c.name} wider than its text at ${size.width}`).toBeLessThanOrEqual(c.needs + 6);
    }
    const infoWidth = columns.find((c) => c.name === 'Info')!.width;
    const gridWidth = (await grid.boundingBox())!.width;
    expect(infoWidth, `Info of ${gridWidth} px at ${size.width}`).toBeGreaterThan(gridWidth * (size.width === 1024 ? 0.32 : 0.6));
    if (size.width === 1920) expect(await info.evaluate((td) => td.scrollWidth <= td.clientWidth), 'the MAIL FROM line in full').toBe(true);
    expect(await tabOverflowsSideways(page)).toBe(false);

    // A packet chosen: its layers and bytes get a real share of the height, each one scroll area.
    await mail.click();
    await expect(page.getByRole('tree', { name: /layers/ })).toBeVisible();
    const lowerBox = (await lower.boundingBox())!;
    expect(lowerBox.height, 'the selected packet\'s share of the panes').toBeGreaterThanOrEqual(0.4 * panes.height);
    const tall = size.width === 1024 ? { tree: 8, bytes: 6, stream: 7 } : { tree: 14, bytes: 14, stream: 12 };
    expect(await linesShown(page, '#pd-tree', '.dt'), 'lines of layers shown').toBeGreaterThanOrEqual(tall.tree);
    expect(await linesShown(page, '#bytes-pane', '.hd'), 'rows of bytes shown').toBeGreaterThanOrEqual(tall.bytes);
    // A row of bytes is whole, its text column in sight: 8 bytes a row where 16 would not fit.
    const dump = page.locator('#bytes-pane pre.hd');
    expect(await dump.evaluate((e) => e.scrollWidth <= e.clientWidth), 'a row of bytes in full').toBe(true);
    await expect(dump).toHaveAttribute('data-per-row', size.width === 1024 ? '8' : '16');
    expect(await textColumn(dump), 'the text column, in order').toContain('MAIL FROM:<alice@intellinet.example>');
    await expect(mail).toBeInViewport();
    expect(await nestedScrollAreas(page)).toEqual([]);
    expect(await tabOverflowsSideways(page)).toBe(false);
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight)).toBe(true);

    // Follow stream: the conversation in the lower pane, one scroll area.
    await page.getByRole('button', { name: 'Follow stream', exact: true }).click();
    const text = page.getByRole('region', { name: 'Follow stream' }).getByLabel('Stream text');
    await expect(text).toContainText('Hi Sean');
    expect(await linesShown(page, '.fs-text', '.fs-text'), 'lines of the conversation shown').toBeGreaterThanOrEqual(tall.stream);
    await expect(text).toBeInViewport({ ratio: 1 });
    expect(await nestedScrollAreas(page)).toEqual([]);
    expect(await tabOverflowsSideways(page)).toBe(false);
    await page.screenshot({ path: `test-results/packets-room-follow-${size.width}.png` });
    await page.getByRole('region', { name: 'Follow stream' }).getByRole('button', { name: 'Close' }).click();
    await expect(page.getByRole('tree', { name: /layers/ })).toBeVisible();
    // Back to no packet chosen (a filter that does not show it, then none), for the next size.
    await applyFilter(page, 'tcp.len == 0');
    await expect(page.getByText('Select a packet to see its layers and bytes.')).toBeVisible();
    await applyFilter(page, '');
    await expect(packetRows(page)).toHaveCount(total);
  }
  expect(problems).toEqual([]);
});
