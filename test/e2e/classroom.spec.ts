// Classroom mode in Chromium (issue 13): the trainer's board and one learner side by side, against
// `postcard-lab classroom --listen 127.0.0.1:0`. The learner joins with a name, the trainer assigns
// a scenario, the learner gets a checkpoint wrong and then right; the board follows by events,
// opens the learner's lab read-only, and a reload brings the learner back to the same seat.
import fs from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { startClass, type RunningClass } from '../classroom/helpers.ts';
import { axe } from './axe.ts';

let cls: RunningClass;
test.beforeAll(async () => {
  cls = await startClass(['--seats', '4', '--scenario', 'ntlm-one-way', '--scenario', 'postcard']);
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
  const intellinet = learner.getByRole('article', { name: 'intellinet.example' });
  await intellinet.getByRole('button', { name: 'Add a domain to the security table of intellinet.example' }).click();
  const dialog = learner.getByRole('dialog', { name: 'E-Mail Domain security information' });
  await dialog.getByLabel('E-Mail domain').fill('ntsol.example');
  await dialog.getByRole('radio', { name: 'Windows NT challenge/response authentication and encryption' }).check();
  await dialog.getByLabel('NT domain').fill('INTELLINET');
  await dialog.getByLabel('Account').fill('DOUG');
  await dialog.getByLabel('Password', { exact: true }).fill('Sunrise-42');
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
