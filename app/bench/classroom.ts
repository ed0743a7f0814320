/**
 * `classroom` (issue 13): what a class of `seats` learners costs the trainer's machine, measured on
 * a real class — the room, its server on 127.0.0.1:0, learners and the board on real WebSockets.
 *
 *   startMsPerSeat   the trainer assigns the scenario to every seat (labs start 4 at a time, as
 *                    the board does it); the span divided by the seats
 *   singleStartMs    the same scenario assigned to one seat alone, in the same run (baseline);
 *                    ratio = startMsPerSeat / singleStartMs (below 1: starting in parallel pays)
 *   memoryMBPerSeat  resident memory with every seat's lab running, less before any lab, per seat
 *                    (heap after a GC where `--expose-gc` allows; RSS is what the OS counts)
 *   boardEventsPerSec  every learner presses Check `checks` times on an unmet checkpoint at once;
 *                    each wrong check changes that seat's row, so the board receives one event per
 *                    check: events the board's socket received, per second, from the first press
 *                    to the last event in
 *
 * The scenario is the postcard lab of app/bench/labs.ts with one checkpoint, written to a private
 * folder, so editing a shipped lesson never moves the figure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Classroom } from '../classroom/room.ts';
import { startClassroomServer } from '../classroom/server.ts';
import { benchLab } from './labs.ts';
import { perSecond, round, timed, type BenchClock } from './measure.ts';

export interface ClassroomFigure {
  seats: number;
  /** Wrong checks each learner sent for the board's rate. */
  checks: number;
  startMsPerSeat: number;
  singleStartMs: number;
  ratio: number | null;
  memoryMBPerSeat: number;
  heapMBPerSeat: number;
  boardEvents: number;
  boardEventsPerSec: number;
}

const SCENARIO = 'bench-class';

function writeScenario(dir: string): void {
  const scenario = {
    id: SCENARIO, title: 'Bench class', level: 'beginner', story: 'The postcard lab with one checkpoint.',
    lab: benchLab('plain'),
    steps: [
      { checkpoint: { id: 'add-ntsol', ask: 'Add ntsol.example with TLS encrypt.', when: { org: 'intellinet', security: { domain: 'ntsol.example', method: 'tls' } },
        solution: [{ action: { org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level: 'encrypt' } } }] } },
    ],
  };
  // JSON is YAML: the scenario loader reads it as any scenario file.
  fs.writeFileSync(path.join(dir, `${SCENARIO}.yaml`), JSON.stringify(scenario, null, 1));
}

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
function memory(): { rss: number; heap: number } {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

interface Socket {
  ws: WebSocket;
  received: number;
  onMessage?: () => void;
}

function open(port: number, query: string): Promise<Socket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`, { origin: `http://127.0.0.1:${port}` });
  const s: Socket = { ws, received: 0 };
  ws.on('message', () => {
    s.received++;
    s.onMessage?.();
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(s));
    ws.once('error', reject);
  });
}

/**
 * Press Check `count` times, one after the other as a learner does (a session runs one step
 * command at a time; a second one at once would be answered `busy`).
 */
async function check(s: Socket, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await new Promise<void>((resolve) => {
      const onMessage = (data: WebSocket.RawData) => {
        if ((JSON.parse(String(data)) as { id?: unknown }).id !== i) return;
        s.ws.off('message', onMessage);
        resolve();
      };
      s.ws.on('message', onMessage);
      s.ws.send(JSON.stringify({ id: i, command: 'runNextStep', payload: {} }));
    });
  }
}

export async function benchClassroom(o: { seats: number; checks: number; clock: BenchClock; progress(line: string): void }): Promise<ClassroomFigure> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-bench-class-'));
  const scenarios = path.join(root, 'scenarios');
  const ui = path.join(root, 'ui');
  fs.mkdirSync(scenarios);
  fs.mkdirSync(ui);
  writeScenario(scenarios);
  fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>bench</title>');
  const room = new Classroom({ scenariosDir: scenarios, scenarios: [SCENARIO], seats: o.seats, idleMinutes: 60, capturePerLab: 32 * 1024 * 1024, keyCache: path.join(root, 'keys') });
  const server = await startClassroomServer({ room, rendererDir: ui, host: '127.0.0.1', port: 0 });
  const sockets: Socket[] = [];
  try {
    const seats = Array.from({ length: o.seats }, (_, i) => room.join(`Learner ${i + 1}`));
    // Untimed: the key cache fills once, as on any machine that has run a lab before.
    await room.assign(SCENARIO, seats[0].id);
    await seats[0].session.stopLab();
    const before = memory();

    o.progress(`classroom: one seat, then ${o.seats}`);
    const single = await timed(o.clock, () => room.assign(SCENARIO, seats[0].id));
    await seats[0].session.stopLab();
    const all = await timed(o.clock, () => room.assign(SCENARIO));
    const started = all.value.seats.length;
    if (started !== o.seats) throw new Error(`classroom: ${started} of ${o.seats} labs started (${all.value.failed.map((f) => f.message).join('; ')})`);
    const after = memory();

    o.progress(`classroom: ${o.seats} learners press Check ${o.checks} times each`);
    const board = await open(server.port, `board=${room.trainerToken}`);
    sockets.push(board);
    for (const seat of seats) sockets.push(await open(server.port, `seat=${seat.token}`));
    const learners = sockets.slice(1);
    // Each learner's arrival is one row change on the board: let those in before counting.
    await new Promise<void>((resolve) => {
      board.onMessage = () => { if (board.received >= o.seats) resolve(); };
      board.onMessage();
    });
    // The first "not yet" asks the question (no change on the board); each later one is a wrong check.
    await Promise.all(learners.map((l) => check(l, 1)));
    const expected = o.seats * o.checks;
    const base = board.received;
    const allIn = new Promise<void>((resolve) => {
      board.onMessage = () => {
        if (board.received - base >= expected) resolve();
      };
    });
    const events = await timed(o.clock, async () => {
      await Promise.all(learners.map((l) => check(l, o.checks)));
      await allIn;
    });
    return {
      seats: o.seats, checks: o.checks,
      startMsPerSeat: round(all.ms / o.seats),
      singleStartMs: round(single.ms),
      ratio: single.ms > 0 ? Math.round((all.ms / o.seats / single.ms) * 1000) / 1000 : null,
      memoryMBPerSeat: round((after.rss - before.rss) / MB / o.seats),
      heapMBPerSeat: round((after.heap - before.heap) / MB / o.seats),
      boardEvents: board.received - base,
      boardEventsPerSec: perSecond(board.received - base, events.ms),
    };
  } finally {
    for (const s of sockets) s.ws.terminate();
    await server.close();
    await room.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
