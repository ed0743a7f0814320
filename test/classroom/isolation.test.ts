// Isolation (issue 13): a learner's token reaches only its own seat — never another seat, the
// board or the trainer's commands; a missing, wrong or replayed secret is refused before a socket
// exists; Origin and Host are checked as in `serve`. Plus the limits: seats, one lab per seat,
// capture per lab, idle labs stopped.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualNow } from './manual.ts';
import { manualNow } from './manual.ts';
import { Classroom } from '../../app/classroom/room.ts';
import { SEAT_CLOSED, startClassroomServer, hostNames, linkHost, type ClassroomServer } from '../../app/classroom/server.ts';
import type { SeatView } from '../../app/api/classroom.ts';
import { connect, join, SCENARIOS, upgrade } from './helpers.ts';
import { TERMINALS_PER_CONNECTION, TERMINALS_PER_LAB } from '../../app/terminal/service.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function open(options: Partial<ConstructorParameters<typeof Classroom>[0]> = {}, clock?: ManualNow): Promise<{ room: Classroom; server: ClassroomServer; port: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-class-ui-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Postcard Lab</title>');
  const room = new Classroom({
    scenariosDir: SCENARIOS, scenarios: ['postcard', 'ntlm-one-way'], seats: 3, idleMinutes: 30, capturePerLab: 32 * 1024 * 1024,
    ...(clock ? { now: clock.now, timers: clock.timers } : {}), ...options,
  });
  const server = await startClassroomServer({ room, rendererDir: dir, host: '127.0.0.1', port: 0 });
  cleanup.push(async () => {
    await server.close();
    await room.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { room, server, port: server.port };
}

const ws = (port: number, query: string) => `ws://127.0.0.1:${port}/ws?${query}`;

describe('who may open a socket', () => {
  it('refuses a missing, wrong or mixed-up secret with 401 before any socket exists', async () => {
    const { room, port } = await open();
    const origin = `http://127.0.0.1:${port}`;
    const { token } = await join(port, room.code, 'Ada');
    const status = async (query: string) => (await upgrade(ws(port, query), { origin })).status;
    expect(await upgrade(`ws://127.0.0.1:${port}/ws`, { origin })).toEqual({ status: 401, body: 'a classroom socket needs exactly one of join=, seat=, board=' });
    expect(await status('seat=')).toBe(401);
    expect(await status(`seat=${'A'.repeat(43)}`)).toBe(401);
    expect(await status(`join=${room.code.slice(0, -1)}x`)).toBe(401);
    expect(await status(`board=${room.code}`)).toBe(401);
    // A learner's token opens its seat, and nothing else: not the board, not the join door.
    expect(await status(`board=${token}`)).toBe(401);
    expect(await status(`join=${token}`)).toBe(401);
    // The trainer's token is not a seat.
    expect(await status(`seat=${room.trainerToken}`)).toBe(401);
    // Two doors at once: refused, whatever each would open.
    expect(await status(`seat=${token}&board=${room.trainerToken}`)).toBe(401);
    expect(await status(`seat=${token}`)).toBe(101);
    expect(await status(`board=${room.trainerToken}`)).toBe(101);
  });

  it('checks Origin and Host as serve does, on the page and on every door', async () => {
    const { room, port } = await open();
    const good = `http://127.0.0.1:${port}`;
    const query = `board=${room.trainerToken}`;
    expect((await upgrade(ws(port, query), { origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgrade(ws(port, query), { origin: `http://127.0.0.1:${port + 1}` })).status).toBe(403);
    expect((await upgrade(ws(port, query), {})).status).toBe(403);
    expect((await upgrade(ws(port, query), { origin: good, headers: { host: `attacker.example:${port}` } })).status).toBe(421);
    expect((await upgrade(`ws://127.0.0.1:${port}/other?${query}`, { origin: good })).status).toBe(404);
    expect((await upgrade(ws(port, `join=${room.code}`), { origin: `http://localhost:${port}` })).status).toBe(101);

    const get = (host: string) => new Promise<http.IncomingMessage>((resolve) => http.get({ port, host: '127.0.0.1', path: '/', headers: { host } }, resolve));
    expect((await get(`rebound.example:${port}`)).statusCode).toBe(421);
    const page = await get(`127.0.0.1:${port}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain(`connect-src ws://127.0.0.1:${port}/ws ws://localhost:${port}/ws;`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    page.resume();
  });

  it('refuses a replayed secret: a freed seat\'s token, a class code once the class is gone, another class\'s tokens', async () => {
    const first = await open();
    const { seat, token } = await join(first.port, first.room.code, 'Ada');
    const learner = await connect(first.port, `seat=${token}`);
    const closed = new Promise<number>((resolve) => learner.ws.once('close', (code) => resolve(code)));
    const board = await connect(first.port, `board=${first.room.trainerToken}`);
    expect(await board.call('removeSeat', { seat })).toEqual({ seat });
    expect(await closed).toBe(SEAT_CLOSED);
    expect(learner.events.at(-1)).toEqual({ event: 'seat.closed', payload: { reason: 'the trainer freed this seat' } });
    expect((await upgrade(ws(first.port, `seat=${token}`), { origin: `http://127.0.0.1:${first.port}` })).status).toBe(401);
    await board.until((events) => events.some((e) => e.event === 'board.removed'));

    // A second class (a restart): nothing of the first opens anything.
    const second = await open();
    const origin = `http://127.0.0.1:${second.port}`;
    for (const query of [`seat=${token}`, `join=${first.room.code}`, `board=${first.room.trainerToken}`]) {
      expect((await upgrade(ws(second.port, query), { origin })).status).toBe(401);
    }
    expect(second.room.code).not.toBe(first.room.code);
    expect(second.room.code).toMatch(/^[\w-]{43}$/);
  });
});

describe('what a learner\'s socket reaches', () => {
  it('its own seat\'s lab only: never another seat\'s lab or events, never a board command', async () => {
    const { room, port } = await open();
    const aToken = (await join(port, room.code, 'Ada')).token;
    const a = await connect(port, `seat=${aToken}`);
    const bSeat = await join(port, room.code, 'Bea');
    const b = await connect(port, `seat=${bSeat.token}`);
    for (const l of [a, b]) await l.call('openScenario', { id: 'postcard' });
    for (const l of [a, b]) await l.call('startLab');
    const aSnapshot = await a.call('getSnapshot');
    const aPorts = aSnapshot.orgs.map((o: { hosts: { smtp: string }[] }) => o.hosts[0].smtp);
    const aHosts = aSnapshot.orgs.flatMap((o: { hosts: { name: string }[] }) => o.hosts.map((h) => h.name));
    const bPorts = (await b.call('getSnapshot')).orgs.map((o: { hosts: { smtp: string }[] }) => o.hosts[0].smtp);
    expect(aPorts.filter((p: string) => bPorts.includes(p))).toEqual([]);

    // A changes its lab and sends mail: B's lab does not change, and B hears nothing of it.
    const bEventsBefore = b.events.length;
    await a.call('applyAction', { org: 'ntsol', createAccount: { domain: 'INTELLINET', user: 'ADA', password: 'Pass-1' } });
    await a.call('runAllSteps');
    expect((await b.call('getSnapshot')).orgs.find((o: { id: string }) => o.id === 'ntsol').accounts).toEqual([]);
    expect((await b.call('listMailbox', { org: 'ntsol', user: 'sean' })).items).toEqual([]);
    expect((await a.call('listMailbox', { org: 'ntsol', user: 'sean' })).items).toHaveLength(1);
    expect(b.events.slice(bEventsBefore)).toEqual([]);

    // The board's and trainer's commands do not exist on a seat's socket.
    for (const command of ['getBoard', 'assignScenario', 'resetSeat', 'removeSeat', 'watchSeat', 'viewSeat', 'exportResults', 'join']) {
      expect(await a.send(command, { seat: bSeat.seat, scenario: 'postcard', format: 'csv', command: 'getSnapshot' })).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    }
    // A contract command cannot name another seat: an extra key is refused, not ignored.
    expect(await a.send('getSnapshot', { seat: bSeat.seat })).toMatchObject({ ok: false, error: { code: 'invalid-payload', message: expect.stringContaining('seat') } });
    // Only this class's scenarios, in course order (level, then `order`).
    expect((await a.call('listScenarios')).scenarios.map((s: { id: string }) => s.id)).toEqual(['postcard', 'ntlm-one-way']);
    expect(await a.send('openScenario', { id: 'asa-breaks-ntlm' })).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('does not offer scenario "asa-breaks-ntlm"') } });
    // No way out of the class's scenarios or onto the trainer's disk, and no grid of labs on the trainer's laptop.
    const text = fs.readFileSync(path.join(SCENARIOS, 'asa-breaks-ntlm.yaml'), 'utf8');
    const outside: [string, unknown][] = [
      ['openScenarioText', { name: 'asa-breaks-ntlm.yaml', text }], ['checkScenarioText', { name: 'x.yaml', text }],
      ['reloadScenario', { restart: true }], ['listRecent', {}], ['openRecent', { file: path.join(SCENARIOS, 'asa-breaks-ntlm.yaml') }], ['openRecent', { file: '/etc/passwd' }],
      ['gridOptions', {}], ['runGrid', { senders: ['postfix'], receivers: ['postfix'], firewalls: ['none'], methods: ['none'] }], ['gridCell', { id: 'c1' }],
    ];
    for (const [command, payload] of outside) {
      expect(await a.send(command, payload)).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining(`${command}: not in a class`) } });
    }
    expect((await a.call('currentScenario')).scenario.id).toBe('postcard');
    // The seat's own lab stays the learner's: a terminal reaches its own hosts only.
    const targets = (await a.call('terminalTargets')).targets as { id: string; host: string }[];
    expect(targets.every((t) => (aHosts as string[]).includes(t.host))).toBe(true);
    expect(room.seat(bSeat.seat).session.running).toBe(true);

    // Downloads: the seat's own capture with its cookie; nothing without one, or with another class's token.
    const download = (cookie?: string) => new Promise<{ status: number; type: string; size: number }>((resolve) => {
      http.get({ port, host: '127.0.0.1', path: '/export/capture.pcapng', headers: { host: `127.0.0.1:${port}`, ...(cookie ? { cookie } : {}) } }, (res) => {
        let size = 0;
        res.on('data', (c: Buffer) => { size += c.length; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), size }));
      });
    });
    expect((await download()).status).toBe(401);
    expect((await download(`postcard-seat=${'A'.repeat(43)}`)).status).toBe(401);
    const mine = await download(`other=1; postcard-seat=${bSeat.token}`);
    expect(mine).toMatchObject({ status: 200, type: 'application/x-pcapng' });

    // Serve's per-run token is not used here: each seat's own token is what a download needs, and it
    // serves that seat only (docs/security.md "The classroom's secrets"). A local process with a
    // forged Origin and no secret gets nothing; A's cookie gets A's lab, B's cookie B's lab.
    const fetchText = (urlPath: string, headers: Record<string, string>) => new Promise<{ status: number; body: string }>((resolve) => {
      http.get({ port, host: '127.0.0.1', path: urlPath, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    const forged = { origin: `http://127.0.0.1:${port}` };
    for (const file of ['/export/keylog.txt', '/export/transcripts.txt', '/export/capture.pcapng']) {
      const refused = await fetchText(file, forged);
      expect(refused.status, file).toBe(401);
      expect(refused.body).toMatch(/^Unauthorized: downloads are for a seat/);
    }
    const aTranscripts = await fetchText('/export/transcripts.txt', { ...forged, cookie: `postcard-seat=${aToken}` });
    const bTranscripts = await fetchText('/export/transcripts.txt', { ...forged, cookie: `postcard-seat=${bSeat.token}` });
    expect(aTranscripts.status).toBe(200);
    expect(aTranscripts.body).toMatch(/^-> DATA$/m);
    expect(bTranscripts.body).not.toMatch(/^-> DATA$/m);
  });

  it('a second tab on the same seat shares its one lab (one lab per seat); the join door joins and does nothing else', async () => {
    const { room, port } = await open();
    const { token } = await join(port, room.code, 'Ada');
    const tab1 = await connect(port, `seat=${token}`);
    const tab2 = await connect(port, `seat=${token}`);
    await tab1.call('openScenario', { id: 'postcard' });
    const started = await tab1.call('startLab');
    expect((await tab2.call('getSnapshot')).orgs[0].hosts[0].smtp).toBe(started.orgs[0].hosts[0].smtp);
    await tab2.call('startLab');
    expect(room.size).toBe(1);
    expect((await tab1.call('getSnapshot')).orgs[0].hosts[0].smtp).not.toBe(started.orgs[0].hosts[0].smtp);

    const door = await connect(port, `join=${room.code}`);
    expect(await door.send('getSnapshot')).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await door.send('join', { name: '<script>' })).toMatchObject({ ok: false, error: { code: 'invalid-payload', message: expect.stringContaining('payload.name') } });
    expect(await door.send('join', { name: 'A'.repeat(41) })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
  });

  it('one join socket takes one seat: sending join again does not take the rest of the class', async () => {
    const { room, port } = await open();
    const door = await connect(port, `join=${room.code}`);
    // A refused join (a bad name) takes nothing, so the page may try again.
    expect(await door.send('join', { name: '<script>' })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    const first = await door.call('join', { name: 'Ann' });
    expect(await door.send('join', { name: 'Ann' })).toEqual({
      id: expect.any(Number), ok: false,
      error: { code: 'forbidden', message: `this connection has taken seat ${first.seat} already: one connection takes one seat (another learner joins from their own browser)` },
    });
    expect(room.size).toBe(1);
    // Another browser still joins.
    expect((await join(port, room.code, 'Bob')).seat).not.toBe(first.seat);
    expect(room.size).toBe(2);
  });
});

describe('terminals on a seat', () => {
  it('a socket holds at most a few terminal sessions, the seat a few more, and a socket\'s close when it closes', async () => {
    const { room, port } = await open();
    const { seat, token } = await join(port, room.code, 'Mallory');
    const tab1 = await connect(port, `seat=${token}`);
    const tab2 = await connect(port, `seat=${token}`);
    await tab1.call('openScenario', { id: 'postcard' });
    await tab1.call('startLab');
    const target = { target: 'host:mail.intellinet.example', mode: 'line' };
    // A flood from one socket: a few are made, the rest refused with a reason, no socket made for them.
    const burst = await Promise.all(Array.from({ length: 50 }, () => tab1.send('terminalOpen', target)));
    const mine = burst.filter((r) => r.ok).map((r) => (r.result as { id: string }).id);
    expect(mine).toHaveLength(TERMINALS_PER_CONNECTION);
    expect(burst.find((r) => !r.ok)).toMatchObject({ error: { code: 'failed', message: expect.stringMatching(/^this connection has \d+ terminal sessions open, the most one page may hold; close one first$/) } });
    // More sockets on the same seat share one cap per seat.
    let held = mine.length;
    for (let i = 0; i < TERMINALS_PER_LAB; i++) {
      const r = await tab2.send('terminalOpen', target);
      if (!r.ok) {
        expect(r.error?.message).toMatch(/^this (connection|lab) has \d+ terminal sessions open/);
        continue;
      }
      held++;
    }
    expect(room.seat(seat).session.terminals.list().length).toBe(held);
    expect(held).toBeLessThanOrEqual(TERMINALS_PER_LAB);

    // The first tab goes away: its sessions close (the other tab hears it), the other tab's stay.
    tab1.close();
    await tab2.until((events) => mine.every((id) => events.some((e) => e.event === 'terminal.closed' && (e.payload as { session: string }).session === id)));
    expect(room.seat(seat).session.terminals.list().map((t) => t.id)).not.toEqual(expect.arrayContaining([mine[0]]));
    expect(room.seat(seat).session.terminals.list()).toHaveLength(held - mine.length);
    // And the seat's lab still takes a new terminal and answers on it.
    const fresh = await connect(port, `seat=${token}`);
    const t = await fresh.call('terminalOpen', target);
    await fresh.until((events) => events.some((e) => e.event === 'terminal.output' && (e.payload as { session: string; text: string }).session === t.id && /^220 /m.test((e.payload as { text: string }).text)));
  });
});

describe('the board', () => {
  it('views a seat read-only and refuses every command that would change it', async () => {
    const { room, port } = await open();
    const { seat, token } = await join(port, room.code, 'Ada');
    const learner = await connect(port, `seat=${token}`);
    const board = await connect(port, `board=${room.trainerToken}`);
    await board.call('assignScenario', { scenario: 'postcard', seat });
    await learner.call('runAllSteps');
    const view = await board.call('viewSeat', { seat, command: 'listMailbox', payload: { org: 'ntsol', user: 'sean' } });
    expect(view.items).toHaveLength(1);
    for (const command of ['applyAction', 'saveSecurity', 'sendMessage', 'runNextStep', 'runAllSteps', 'startLab', 'stopLab', 'openScenario', 'retryEntry']) {
      expect(await board.send('viewSeat', { seat, command, payload: {} })).toMatchObject({ ok: false, error: { code: 'read-only' } });
    }
    expect(await board.send('viewSeat', { seat: 's99', command: 'getSnapshot' })).toMatchObject({ ok: false, error: { code: 'not-found', message: expect.stringContaining('no seat s99') } });
    expect(await board.send('assignScenario', { scenario: 'asa-breaks-ntlm' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    // The learner's own commands are not board commands.
    expect(await board.send('getSnapshot')).toMatchObject({ ok: false, error: { code: 'unknown-command' } });

    // Watching a seat streams its events to the board, for the read-only view; unwatching stops them.
    await board.call('watchSeat', { seat });
    await learner.call('sendMessage', { id: 'x1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Watched', body: 'Hi' });
    await board.until((events) => events.some((e) => e.event === 'seat.event' && (e.payload as { seat: string }).seat === seat));
    await board.call('watchSeat', { seat: null });
  });

  it('limits: a capture cap per lab, and idle labs stop after the trainer\'s time (the board says so)', async () => {
    const clock = manualNow(Date.parse('2026-12-05T09:00:00Z'));
    // 8 KiB of capture per lab: the postcard scenario's conversation (about 2 KiB of bytes, and the objects of its packets and records, budget.ts) does not fit.
    const { room, port } = await open({ capturePerLab: 8 * 1024, idleMinutes: 10 }, clock);
    const { seat, token } = await join(port, room.code, 'Ada');
    const learner = await connect(port, `seat=${token}`);
    const board = await connect(port, `board=${room.trainerToken}`);
    await board.call('assignScenario', { scenario: 'postcard' });
    await learner.call('runAllSteps');
    const points = (await learner.call('listCapturePoints')).points as { packets: number; dropped: number; droppedBytes: number }[];
    expect(points.reduce((n, p) => n + p.packets, 0)).toBeGreaterThan(0);
    expect(points.reduce((n, p) => n + p.dropped, 0)).toBeGreaterThan(0);
    expect(points.reduce((n, p) => n + p.droppedBytes, 0)).toBeGreaterThan(0);
    const lab = room.seat(seat).session.lab;
    expect(lab.taps.budget.maxBytes).toBe(8 * 1024);
    expect(lab.taps.budget.used).toBeLessThanOrEqual(8 * 1024);

    clock.advance(9 * 60_000);
    expect(await room.sweepIdle()).toEqual([]);
    clock.advance(2 * 60_000);
    expect(await room.sweepIdle()).toEqual([seat]);
    await board.until((events) => events.some((e) => e.event === 'board.seat' && (e.payload as SeatView).lab === 'idle-stopped'));
    expect((await learner.call('getSnapshot')).status).toBe('stopped');
    // The learner comes back and restarts: running again, the board follows.
    await learner.call('startLab');
    await board.until((events) => (events.filter((e) => e.event === 'board.seat').at(-1)!.payload as SeatView).lab === 'running');
  });
});

describe('addresses', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [{ address: '192.168.1.10', family: 'IPv4', internal: false }, { address: 'fe80::1', family: 'IPv6', internal: false }],
  } as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;

  it('answers to the listen address only, and to every local IPv4 address when it listens on all', () => {
    expect(hostNames('127.0.0.1', interfaces)).toEqual(['127.0.0.1', 'localhost']);
    expect(hostNames('192.168.1.10', interfaces)).toEqual(['192.168.1.10']);
    expect(hostNames('0.0.0.0', interfaces)).toEqual(['127.0.0.1', 'localhost', '192.168.1.10']);
    expect(linkHost('0.0.0.0', interfaces)).toBe('192.168.1.10');
    expect(linkHost('127.0.0.1', interfaces)).toBe('127.0.0.1');
  });
});
