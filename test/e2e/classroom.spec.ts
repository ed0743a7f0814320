// Classroom mode in Chromium (issue 13): the trainer's board and one learner side by side, against
// `postcard-lab classroom --listen 127.0.0.1:0`. The learner joins with a name, the trainer assigns
// a scenario, the learner gets a checkpoint wrong and then right; the board follows by events,
// opens the learner's lab read-only, and a reload brings the learner back to the same seat.
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { startClass, type RunningClass } from '../classroom/helpers.ts';
import { axe } from './axe.ts';
import { fillNtlmEntry } from './ims.ts';

let cls: RunningClass;
test.beforeAll(async () => {
  // asa-strips-starttls: the longest title (the board's scenario list must show it whole where there is room).
  cls = await startClass(['--seats', '4', '--scenario', 'ntlm-one-way', '--scenario', 'postcard', '--scenario', 'asa-strips-starttls']);
  fs.mkdirSync('test-results', { recursive: true });
});
test.afterAll(async () => {
  expect(await cls.stop(), cls.output()).toBe(0);
});

/** Both pages' screenshots in one picture, as the trainer would see two screens. */
async function sideBySide(page: Page, left: Buffer, right: Buffer, file: string) {
  const img = (b: Buffer) => `<img alt="" src="data:image/png;base64,${b.toString('base64')}" style="width:50%;display:block">`;
  await page.setViewportSize({ width: 2048, height: 700 });
  await page.setContent(`<body style="margin:0;display:flex;background:#888">${img(left)}${img(right)}</body>`);
  await page.screenshot({ path: file, fullPage: true });
}

test('the board and one learner: join, assign, a wrong check then a right one, read-only view, reload', async ({ browser }) => {
  test.setTimeout(240_000);
  const problems: string[] = [];
  const trainerContext = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const learnerContext = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const board = await trainerContext.newPage();
  const learner = await learnerContext.newPage();
  for (const p of [board, learner]) {
    p.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    p.on('pageerror', (e) => problems.push(e.message));
  }

  await board.goto(`${cls.origin}/#/board?token=${cls.trainerToken}`);
  await expect(board.getByText('No one has joined yet.')).toBeVisible();
  // The trainer's token leaves the address bar at once (the board may be projected).
  expect(board.url()).toBe(`${cls.origin}/#/board`);
  await expect(board.locator('.join-url')).toHaveText(`${cls.origin}/#/join?code=${cls.code}`);

  await learner.goto(`${cls.origin}/#/join?code=${cls.code}`);
  await expect(learner.getByLabel('Your name, as the trainer will see it')).toBeVisible();
  await axe(learner, 'the join page');
  await axe(board, 'the empty class board');
  await learner.getByLabel('Your name, as the trainer will see it').fill('Ada Lovelace');
  await learner.getByRole('button', { name: 'Join' }).click();
  await expect(learner.getByRole('status', { name: 'Classroom seat' })).toContainText('Seat s01 · Ada Lovelace');
  expect(learner.url()).toBe(`${cls.origin}/#/seat`);

  const row = board.getByRole('row', { name: 'Seat s01, Ada Lovelace' });
  await expect(row).toContainText('no scenario yet');
  // The row is one row: its buttons' cell ends where the others do (its rule lines up).
  const cells = row.getByRole('cell');
  const [first, last] = [(await cells.first().boundingBox())!, (await cells.last().boundingBox())!];
  expect(Math.abs(first.y + first.height - (last.y + last.height))).toBeLessThan(1);
  // The scenario list shows what "Assign" would assign before the trainer picks: the course's first.
  await expect(board.getByLabel('Scenario')).toHaveValue('postcard');

  // The trainer assigns a scenario to everyone: the learner's page opens it, lab running.
  await board.getByLabel('Scenario').selectOption('ntlm-one-way');
  await board.getByRole('button', { name: 'Assign to all seats' }).click();
  await expect(board.getByRole('status').filter({ hasText: 'ntlm-one-way started on 1 seat' })).toBeVisible();
  await expect(learner.getByRole('heading', { name: 'Sealing the road to the partner — and only that road' })).toBeVisible();
  await expect(learner.getByText('Lab running')).toBeVisible();
  await expect(row).toContainText('1 of 6');
  // The seat's bar and the app share the window: no page scroll pushing the panels' feet off screen.
  expect(await learner.evaluate(() => document.documentElement.scrollHeight <= innerHeight)).toBe(true);

  // Next step asks; Check before any change is a wrong check, and the board shows it.
  await learner.getByRole('button', { name: 'Next step' }).click();
  const checkpoint = learner.getByRole('region', { name: /Your turn/ });
  await checkpoint.getByRole('button', { name: 'Check' }).click();
  await expect(checkpoint.getByRole('status')).toHaveText('Not yet: intellinet.example\'s security table has no entry for ntsol.example yet');
  await expect(row.getByRole('list', { name: 'Checkpoints of Ada Lovelace' })).toHaveText('add-ntsol: pending, 1 wrong check');
  const boardWrong = await board.screenshot();
  const learnerWrong = await learner.screenshot();
  await board.screenshot({ path: 'test-results/classroom-board-wrong-check.png', fullPage: true });
  await learner.screenshot({ path: 'test-results/classroom-learner-wrong-check.png', fullPage: true });

  // The learner makes the change in the IMS dialog; Check passes; Run all finishes the story.
  const dialog = await fillNtlmEntry(learner);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await checkpoint.getByRole('button', { name: 'Check' }).click();
  await expect(row.getByRole('list', { name: 'Checkpoints of Ada Lovelace' })).toHaveText('add-ntsol: passed after 1 wrong check');
  await learner.getByRole('button', { name: 'Run all steps' }).click();
  await expect(learner.getByText('6 passed')).toBeVisible();
  await expect(row).toContainText('all steps done');
  await expect(row).toContainText('6 passed');
  // The learner's packet view downloads its own capture (the seat's cookie); the board's browser holds no seat.
  const own = await learner.request.get(`${cls.origin}/export/capture.pcapng`);
  expect(own.status()).toBe(200);
  expect(own.headers()['content-type']).toBe('application/x-pcapng');
  expect((await board.request.get(`${cls.origin}/export/capture.pcapng`)).status()).toBe(401);
  // The trainer sees progress, never the learner's password.
  await expect(board.locator('body')).not.toContainText('Sunrise-42');

  // The read-only view of the learner's lab, next to the board.
  await row.getByRole('button', { name: 'View the lab of s01' }).click();
  const view = board.getByRole('region', { name: 'Read-only view of s01' });
  await expect(view.getByRole('article', { name: 'ntsol.example' })).toBeVisible();
  // Its Transcript tab opens where the learner's does: on the last message tried (it was empty,
  // "Pick a queue entry", although the lab had tried messages).
  await learner.getByRole('tab', { name: 'Transcript' }).click();
  const learnerTranscript = learner.getByRole('heading', { name: /^Transcript of / });
  await expect(learnerTranscript).toBeVisible();
  await view.getByRole('tab', { name: 'Transcript' }).click();
  await expect(view.getByRole('heading', { name: /^Transcript/ })).toHaveText((await learnerTranscript.textContent())!);
  await expect(view.getByLabel('Sender transcript').first()).toContainText('MAIL FROM:<');
  await expect(view.getByText('Pick a queue entry')).toHaveCount(0);
  await learner.getByRole('tab', { name: 'Topology' }).click();
  await view.getByRole('tab', { name: 'Queue' }).click();
  await view.getByRole('button', { name: /^Show transcript of / }).first().click();
  await expect(view.getByLabel('Sender transcript')).toContainText('=> MAIL FROM:<alice@intellinet.example>');
  await board.screenshot({ path: 'test-results/classroom-board-seat-view.png', fullPage: true });
  await view.getByRole('tab', { name: 'Packets' }).click();
  await expect(view.getByRole('grid').or(view.getByRole('table')).first()).toContainText('AUTH NTLM');
  // The seat's list keeps its rows' height here, where the view scrolls as a whole (not a 6rem box).
  const rowsTall = await view.locator('.pl-scroll').evaluate((el) => el.clientHeight / el.querySelector('tbody tr')!.getBoundingClientRect().height);
  expect(rowsTall).toBeGreaterThan(10);
  const boardDone = await board.screenshot();
  const learnerDone = await learner.screenshot();

  await sideBySide(await trainerContext.newPage(), boardWrong, learnerWrong, 'test-results/classroom-side-by-side-wrong.png');
  await sideBySide(await trainerContext.newPage(), boardDone, learnerDone, 'test-results/classroom-side-by-side-done.png');

  // A reload returns to the same seat and lab, progress and all.
  await learner.reload();
  await expect(learner.getByRole('status', { name: 'Classroom seat' })).toContainText('Seat s01 · Ada Lovelace');
  await expect(learner.getByText('6 passed')).toBeVisible();
  // And the join link again, in the same browser: still the same seat, not a second one.
  await learner.goto(`${cls.origin}/#/join?code=${cls.code}`);
  await learner.reload();
  await expect(learner.getByRole('status', { name: 'Classroom seat' })).toContainText('Seat s01');
  await expect(board.getByRole('table', { name: 'Seats' }).getByRole('row')).toHaveCount(2);

  // Beside the seat's view on a 1280-wide projector, the seats table fits its panel (the step's
  // addresses break after a dot, the buttons stand two by two), nothing cut off at its edge.
  await board.setViewportSize({ width: 1280, height: 720 });
  const seats = board.getByRole('table', { name: 'Seats' });
  await expect(view).toBeVisible();
  expect(await seats.evaluate((t) => t.scrollWidth <= t.parentElement!.clientWidth)).toBe(true);
  await expect(row.getByRole('button', { name: 'Free seat s01' })).toBeInViewport({ ratio: 1 });

  await axe(board, 'class board with a seat\'s view, light');
  await axe(learner, 'a learner\'s seat, light');

  // The dark palette, for a dimmed room: the board's own theme switch, and the seat's view drawn in
  // the same palette as the table beside it (it was a white panel with dark-on-dark controls).
  await board.getByLabel('Theme').selectOption('dark');
  const background = (selector: string) => board.locator(selector).first().evaluate((e) => getComputedStyle(e).backgroundColor);
  expect(await background('.seats-panel')).not.toBe('rgb(255, 255, 255)');
  expect(await background('.seat-view')).toBe(await background('.seats-panel'));
  const point = view.getByRole('radio').first();
  const ink = await point.locator('..').evaluate((e) => getComputedStyle(e).color);
  expect(ink, 'capture point text is light on the dark card').toMatch(/^rgb\((2[0-9]{2}|1[6-9][0-9]), /);
  await board.screenshot({ path: 'test-results/classroom-board-dark.png', fullPage: true });
  await axe(board, 'class board with a seat\'s view, dark');
  expect(problems).toEqual([]);
  await trainerContext.close();
  await learnerContext.close();
});

/** A computed `rgb(…)` colour's relative luminance (WCAG 2.x): 0 black, 1 white. */
function luminance(rgb: string): number {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const colours = (page: Page, selector: string) => page.locator(selector).first().evaluate((e) => {
  const style = getComputedStyle(e);
  return { background: style.backgroundColor, ink: style.color };
});

test('the join page: a card as tall as its form, light or dark as the system is', async ({ browser }) => {
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const viewport of [{ width: 1024, height: 700 }, { width: 1920, height: 1080 }]) {
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await context.newPage();
      await page.goto(`${cls.origin}/#/join?code=${cls.code}`);
      const card = page.getByRole('form', { name: 'Join the class' });
      const join = card.getByRole('button', { name: 'Join' });
      await expect(join).toBeVisible();
      // The card ends below its button (it used to stretch to the window's foot, 60 % of it empty).
      const [box, button] = [(await card.boundingBox())!, (await join.boundingBox())!];
      expect(box.y + box.height - (button.y + button.height), `card's foot below Join at ${viewport.width}, ${colorScheme}`).toBeLessThan(40);
      // The system's palette, as every other page (the join page stayed light under a dark system).
      const body = await colours(page, 'body');
      const form = await colours(page, 'form');
      const input = await colours(page, '#join-name');
      if (colorScheme === 'dark') {
        expect(luminance(body.background), 'dark page').toBeLessThan(0.05);
        expect(luminance(form.background), 'dark card').toBeLessThan(0.05);
        expect(luminance(form.ink), 'light text on it').toBeGreaterThan(0.6);
        expect(luminance(input.background), 'dark name field').toBeLessThan(0.05);
      } else {
        expect(luminance(body.background), 'light page').toBeGreaterThan(0.8);
        expect(luminance(form.ink), 'dark text').toBeLessThan(0.05);
      }
      if (viewport.width === 1024) {
        await page.screenshot({ path: `test-results/classroom-join-${colorScheme}.png` });
        await axe(page, `the join page, ${colorScheme}`);
      }
      await context.close();
    }
  }
  // The page's own Theme switch, as on the board and in the app: Light under a dark system.
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 }, colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(`${cls.origin}/#/join?code=${cls.code}`);
  await page.getByLabel('Theme').selectOption('light');
  expect(luminance((await colours(page, 'body')).background)).toBeGreaterThan(0.8);
  await context.close();
});

test('the board fits the window: a seat\'s view in sight, no page scrollbar, a readable scenario list and seats table', async ({ browser }) => {
  test.setTimeout(180_000);
  // Ada's seat (the first test) holds a lab whose steps all ran.
  for (const viewport of [{ width: 1024, height: 700 }, { width: 1920, height: 1080 }]) {
    const at = `at ${viewport.width}×${viewport.height}`;
    const context = await browser.newContext({ viewport });
    const board = await context.newPage();
    await board.goto(`${cls.origin}/#/board?token=${cls.trainerToken}`);
    const row = board.getByRole('row', { name: 'Seat s01, Ada Lovelace' });
    await expect(row).toContainText('all steps done');

    // The toolbar keeps one row (a deliberate choice, 10dd037); the scenario list takes the room the
    // row has: the longest title whole at 1920 (it was cut at 36ch, "… goes o", half the row empty),
    // and at 1024 as much of it as the row allows, Assign straight after it.
    const select = board.getByLabel('Scenario');
    await select.selectOption('asa-strips-starttls');
    const assign = board.getByRole('button', { name: 'Assign to all seats' });
    const csv = board.getByRole('button', { name: 'Export CSV' });
    const json = board.getByRole('button', { name: 'Export JSON' });
    const boxes = await Promise.all([select, assign, csv, json].map(async (l) => (await l.boundingBox())!));
    const middles = boxes.map((b) => b.y + b.height / 2);
    expect(Math.max(...middles) - Math.min(...middles), `toolbar on one row ${at}`).toBeLessThan(4);
    const widths = await select.evaluate((s: HTMLSelectElement) => {
      // The list's own width, unconstrained: a copy beside it, no cap, no shrinking.
      const copy = s.cloneNode(true) as HTMLSelectElement;
      copy.value = s.value;
      Object.assign(copy.style, { position: 'absolute', visibility: 'hidden', maxWidth: 'none', minWidth: '0', width: 'auto', flex: 'none' });
      s.parentElement!.append(copy);
      const natural = copy.getBoundingClientRect().width;
      copy.remove();
      return { natural, shown: s.getBoundingClientRect().width };
    });
    if (viewport.width === 1920) {
      expect(widths.shown, 'the whole title shows at 1920').toBeGreaterThanOrEqual(widths.natural - 1);
    } else {
      const [, a, c] = boxes;
      expect(c.x - (a.x + a.width), 'no room left unused beside a cut title at 1024').toBeLessThan(16);
      await expect(select).toHaveAttribute('title', /^An ASA masks STARTTLS/);
    }

    // The seats table: a larger type on a projector-sized window, the compact one at 1024.
    const td = await row.getByRole('cell').nth(2).evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    const th = await board.getByRole('columnheader', { name: 'Step', exact: true }).evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    if (viewport.width === 1920) {
      expect(td, 'seats table text at 1920').toBeGreaterThanOrEqual(15);
      expect(th, 'its headers').toBeGreaterThanOrEqual(13);
    } else {
      expect(td, 'seats table text at 1024').toBeLessThan(14.5);
    }

    // View: the seat's lab in the window, beside or under the table, never below the window's edge;
    // the page never scrolls, whichever tab is open, so nothing shifts sideways between tabs.
    await row.getByRole('button', { name: 'View the lab of s01' }).click();
    const view = board.getByRole('region', { name: 'Read-only view of s01' });
    const panel = view.locator('#seat-tabpanel');
    const seatsPanel = board.getByRole('region', { name: 'Seats', exact: true });
    let first: { seats: number; view: number; panel: number } | undefined;
    for (const [tab, content] of [
      ['Topology', view.locator('svg.topo')],
      ['Queue', view.getByRole('button', { name: /^Show transcript of / }).first()],
      ['Transcript', view.getByLabel('Sender transcript').first()],
      ['Packets', view.getByText('AUTH NTLM').first()],
    ] as const) {
      await view.getByRole('tab', { name: tab }).click();
      await expect(content).toBeVisible();
      const scroll = await board.evaluate(() => {
        const main = document.querySelector('main')!;
        return { page: document.documentElement.scrollHeight - innerHeight, main: main.scrollHeight - main.clientHeight, bar: main.offsetWidth - main.clientWidth };
      });
      expect(scroll, `no page scroll on ${tab} ${at}`).toEqual({ page: 0, main: 0, bar: 0 });
      const [v, p, t] = [(await view.boundingBox())!, (await panel.boundingBox())!, (await seatsPanel.boundingBox())!];
      expect(v.y + v.height, `the view ends inside the window on ${tab} ${at}`).toBeLessThanOrEqual(viewport.height);
      expect(p.height, `its tab has a good part of the window on ${tab} ${at}`).toBeGreaterThan(viewport.height * 0.3);
      const now = { seats: t.x, view: v.x, panel: p.x };
      first ??= now;
      expect(now, `nothing moves sideways switching to ${tab} ${at}`).toEqual(first);
    }
    // Beside the view the table fits its part (there it keeps the compact type).
    expect(await board.getByRole('table', { name: 'Seats' }).evaluate((t) => t.scrollWidth <= t.parentElement!.clientWidth), `seats table fits ${at}`).toBe(true);
    await board.screenshot({ path: `test-results/classroom-board-fits-${viewport.width}.png` });
    await context.close();
  }
});

test('a freed seat: the learner\'s page says its lab is closed, its controls are off, and it joins again', async ({ browser }) => {
  test.setTimeout(180_000);
  const own = await startClass(['--seats', '2', '--scenario', 'postcard']);
  const trainerContext = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const learnerContext = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  try {
    const board = await trainerContext.newPage();
    const learner = await learnerContext.newPage();
    await board.goto(`${own.origin}/#/board?token=${own.trainerToken}`);
    await learner.goto(`${own.origin}/#/join?code=${own.code}`);
    await learner.getByLabel('Your name, as the trainer will see it').fill('Grace Hopper');
    await learner.getByRole('button', { name: 'Join' }).click();
    const seatStatus = learner.getByRole('status', { name: 'Classroom seat' });
    await expect(seatStatus).toContainText('Seat s01 · Grace Hopper');
    await board.getByRole('button', { name: 'Assign to all seats' }).click();
    await expect(learner.getByText('Lab running')).toBeVisible();
    const controls = ['Next step', 'Run all steps', 'Restart lab…', 'Stop lab', 'All scenarios', 'Open…'].map((name) => learner.getByRole('button', { name, exact: true }));
    for (const control of controls) await expect(control).toBeEnabled();

    await board.getByRole('row', { name: 'Seat s01, Grace Hopper' }).getByRole('button', { name: 'Free seat s01' }).click();
    await expect(seatStatus).toContainText('This seat is closed: the trainer freed this seat');
    // The header says so (it stayed a green "Lab running"), and nothing reaches for the lab any more.
    const pill = learner.locator('.topbar .pill');
    await expect(pill).toHaveText('Lab closed');
    expect(await pill.evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe('rgb(30, 115, 65)');
    for (const control of controls) await expect(control).toBeDisabled();
    await learner.screenshot({ path: 'test-results/classroom-learner-freed.png' });
    await axe(learner, 'a freed seat');

    // What the learner can still do: join the class again, for a new seat (the old token is forgotten,
    // so the join link no longer leads back to the freed seat).
    await learner.getByRole('button', { name: 'Join the class again' }).click();
    await learner.getByLabel('Your name, as the trainer will see it').fill('Grace Hopper');
    await learner.getByRole('button', { name: 'Join' }).click();
    await expect(seatStatus).toContainText(/Seat s0\d · Grace Hopper/);
    await expect(seatStatus).not.toContainText('closed');
    await expect(board.getByRole('row', { name: /Grace Hopper/ })).toHaveCount(1);

    // Freed while the learner's page was closed: the join link led back to the dead seat, "Open the
    // join link again" and round. The page says the seat cannot be reached and offers a new one.
    const seat = (await seatStatus.locator('strong').textContent())!;
    await learner.close();
    await board.getByRole('button', { name: `Free seat ${seat}` }).click();
    await expect(board.getByRole('row', { name: /Grace Hopper/ })).toHaveCount(0);
    const again = await learnerContext.newPage();
    await again.goto(`${own.origin}/#/join?code=${own.code}`);
    await expect(again.getByRole('status', { name: 'Classroom seat' })).toContainText('Cannot reach your seat');
    await again.getByRole('button', { name: 'Join the class again' }).click();
    await expect(again.getByLabel('Your name, as the trainer will see it')).toBeVisible();
  } finally {
    await trainerContext.close();
    await learnerContext.close();
    expect(await own.stop(), own.output()).toBe(0);
  }
});

test('a full room says so to the next learner', async ({ browser }) => {
  test.setTimeout(120_000);
  // Three more browsers fill the room of four (Ada holds the first); the fifth is told.
  for (let i = 0; i < 4; i++) {
    const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
    const page = await context.newPage();
    await page.goto(`${cls.origin}/#/join?code=${cls.code}`);
    await page.getByLabel('Your name, as the trainer will see it').fill(`Learner ${i}`);
    await page.getByRole('button', { name: 'Join' }).click();
    if (i < 3) {
      await expect(page.getByRole('status', { name: 'Classroom seat' })).toContainText(`Learner ${i}`);
    } else {
      await expect(page.getByRole('alert')).toHaveText('this class is full: all 4 seats are taken; ask the trainer to free one');
      await page.screenshot({ path: 'test-results/classroom-full.png', fullPage: true });
    }
    await context.close();
  }
});
