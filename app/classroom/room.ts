/**
 * A class: seats (each with its own `ApiSession` and lab), the limits that keep one laptop
 * standing, and the board's event stream. It knows no transport: app/classroom/server.ts carries
 * it over HTTP and WebSockets, and the tests drive it both directly and over sockets.
 *
 *   join(name) ─► Seat(session) ─► session.events ─► Seat.view() ─► board events (only on change)
 *   trainer: assign / reset / remove / viewSeat (read-only) / export
 *   every idle sweep: a seat without a command for `idleMinutes` has its lab stopped
 */
import { ApiSession } from '../api/session.ts';
import { Emitter } from '../base/emitter.ts';
import { realTimers, type Timers } from '../base/timers.ts';
import type { ApiErrorCode, ScenarioSummary } from '../api/contract.ts';
import type { BoardEventMessage, ClassroomErrorCode, SeatEventMessage, SeatView, SeatWelcome } from '../api/classroom.ts';
import { Seat } from './seat.ts';
import { newToken } from '../bridge/tokens.ts';

export interface ClassroomOptions {
  scenariosDir: string;
  /** Scenario ids this class may open; empty: every loadable scenario of the folder. */
  scenarios: string[];
  /** The most seats at once. */
  seats: number;
  /** A seat whose learner sent no command for this long has its lab stopped. */
  idleMinutes: number;
  /** Bytes of capture each lab keeps, tap log and packet view together (the oldest go first). */
  capturePerLab: number;
  seed?: number;
  keyCache?: string;
  /** Wall-clock ms (times on the board, idle checks). */
  now?(): number;
  timers?: Timers;
}

/** A refusal the classroom gives, with a code a client can act on. */
export class ClassroomFailure extends Error {
  readonly code: ClassroomErrorCode | ApiErrorCode;

  constructor(code: ClassroomErrorCode | ApiErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The most seats one class takes, whatever the trainer asks: each is a lab with its own listeners. */
export const MAX_SEATS = 200;
/** Labs started at once by an assignment to the whole class (each start is CPU-bound: certificates). */
const START_CONCURRENCY = 4;

export class Classroom {
  /** The class code in the join link, and the trainer's token: shown once, at start. */
  readonly code = newToken();
  readonly trainerToken = newToken();
  readonly options: Required<Pick<ClassroomOptions, 'seats' | 'idleMinutes' | 'capturePerLab' | 'scenarios' | 'scenariosDir'>> & ClassroomOptions;
  /** Board events: a seat's view after every change, a seat removed, the watched seat's events. */
  readonly board = new Emitter<BoardEventMessage>();
  /** Messages to one seat's sockets (welcome, assigned, closed). */
  readonly notices = new Emitter<{ seat: string; message: SeatEventMessage }>();
  readonly #seats = new Map<string, Seat>();
  readonly #byToken = new Map<string, Seat>();
  readonly #lastSent = new Map<string, string>();
  readonly #catalog: ApiSession;
  readonly #now: () => number;
  readonly #timers: Timers;
  #seq = 0;
  #cancelSweep?: () => void;

  constructor(options: ClassroomOptions) {
    if (!Number.isInteger(options.seats) || options.seats < 1 || options.seats > MAX_SEATS) throw new Error(`seats: 1 to ${MAX_SEATS}, not ${options.seats}`);
    this.options = options;
    this.#now = options.now ?? (() => Date.now());
    this.#timers = options.timers ?? realTimers;
    this.#catalog = new ApiSession({ scenariosDir: options.scenariosDir });
    const known = new Set(this.#catalog.listScenarios().filter((s) => !s.errors).map((s) => s.id));
    const unknown = options.scenarios.filter((s) => !known.has(s));
    if (unknown.length) throw new Error(`no loadable scenario ${unknown.map((s) => `"${s}"`).join(', ')} in ${options.scenariosDir} (known: ${[...known].join(', ')})`);
    this.#scheduleSweep();
  }

  /** The scenarios this class offers. */
  scenarios(): ScenarioSummary[] {
    const all = this.#catalog.listScenarios().filter((s) => !s.errors);
    return this.options.scenarios.length ? all.filter((s) => this.options.scenarios.includes(s.id)) : all;
  }

  allowsScenario(id: string): boolean {
    return this.scenarios().some((s) => s.id === id);
  }

  get size(): number {
    return this.#seats.size;
  }

  /** A new seat for a learner, or `full`. */
  join(name: string): Seat {
    if (this.#seats.size >= this.options.seats) {
      throw new ClassroomFailure('full', `this class is full: all ${this.options.seats} seats are taken; ask the trainer to free one`);
    }
    const id = `s${String(++this.#seq).padStart(2, '0')}`;
    const session = new ApiSession({
      scenariosDir: this.options.scenariosDir, seed: this.options.seed, keyCache: this.options.keyCache, captureLimit: this.options.capturePerLab,
    });
    const seat = new Seat({ seat: id, name, token: newToken(), session, now: this.#now, onChange: (s) => this.#publish(s) });
    // Route the watched seat's events to the board (the read-only view) — cheap: one check per event.
    session.events.subscribe((event) => {
      if (this.#watched.get(id)) this.board.emit({ event: 'seat.event', payload: { seat: id, event } });
    });
    this.#seats.set(id, seat);
    this.#byToken.set(seat.token, seat);
    this.#publish(seat);
    return seat;
  }

  /** Board connections watching each seat (several boards may look at one). */
  readonly #watched = new Map<string, number>();

  /** Send the seat's own events to the board (as `seat.event`) until the returned function is called. */
  watch(seat: string): () => void {
    this.seat(seat);
    this.#watched.set(seat, (this.#watched.get(seat) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.#watched.get(seat) ?? 1) - 1;
      if (n > 0) this.#watched.set(seat, n);
      else this.#watched.delete(seat);
    };
  }

  /** The seat a token opens, or undefined (unknown, removed, or from another class). */
  seatByToken(token: string | undefined): Seat | undefined {
    return token === undefined ? undefined : this.#byToken.get(token);
  }

  seat(id: string): Seat {
    const s = this.#seats.get(id);
    if (!s) throw new ClassroomFailure('not-found', `no seat ${id} in this class (seats: ${[...this.#seats.keys()].join(', ') || 'none'})`);
    return s;
  }

  views(): SeatView[] {
    return [...this.#seats.values()].map((s) => s.view());
  }

  welcome(seat: Seat): SeatWelcome {
    return { seat: seat.id, name: seat.name, ...(seat.scenario ? { scenario: seat.scenario } : {}), snapshot: seat.session.snapshot() };
  }

  /** Open `scenario` and start its lab on one seat or all; seats that fail (busy) are reported, the rest go on. */
  async assign(scenario: string, seatId?: string): Promise<{ seats: string[]; failed: { seat: string; message: string }[] }> {
    if (!this.allowsScenario(scenario)) throw new ClassroomFailure('not-found', `this class has no scenario "${scenario}" (offered: ${this.scenarios().map((s) => s.id).join(', ')})`);
    const targets = seatId ? [this.seat(seatId)] : [...this.#seats.values()];
    const done: string[] = [];
    const failed: { seat: string; message: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const seat = targets[next++];
        try {
          await seat.session.openScenario(scenario);
          await seat.session.startLab();
          seat.touch();
          done.push(seat.id);
          this.notices.emit({ seat: seat.id, message: { event: 'seat.assigned', payload: this.welcome(seat) } });
        } catch (error) {
          failed.push({ seat: seat.id, message: (error as Error).message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, targets.length) }, worker));
    return { seats: done.sort(), failed };
  }

  /** A fresh lab for the seat's scenario, from step 1. */
  async reset(seatId: string): Promise<SeatView> {
    const seat = this.seat(seatId);
    if (!seat.scenario) throw new ClassroomFailure('no-scenario', `seat ${seatId} has no scenario yet; assign one first`);
    await seat.session.startLab();
    seat.touch();
    this.notices.emit({ seat: seat.id, message: { event: 'seat.assigned', payload: this.welcome(seat) } });
    return seat.view();
  }

  /** Free a seat: its lab stops, its sockets close, its token is refused from now on. */
  async remove(seatId: string): Promise<void> {
    const seat = this.seat(seatId);
    this.#seats.delete(seatId);
    this.#byToken.delete(seat.token);
    this.#lastSent.delete(seatId);
    this.#watched.delete(seatId);
    this.notices.emit({ seat: seatId, message: { event: 'seat.closed', payload: { reason: 'the trainer freed this seat' } } });
    seat.close();
    await seat.session.close();
    this.board.emit({ event: 'board.removed', payload: { seat: seatId } });
  }

  /** Stop the labs of seats idle for `idleMinutes`; returns their ids. */
  async sweepIdle(): Promise<string[]> {
    const limit = this.options.idleMinutes * 60_000;
    const stopped: string[] = [];
    for (const seat of this.#seats.values()) {
      if (!seat.session.running || this.#now() - seat.lastActive < limit) continue;
      try {
        await seat.session.stopLab();
      } catch {
        continue; // busy: a step is running, so it is not idle after all
      }
      seat.markIdleStopped();
      stopped.push(seat.id);
    }
    return stopped;
  }

  async close(): Promise<void> {
    this.#cancelSweep?.();
    const seats = [...this.#seats.values()];
    this.#seats.clear();
    this.#byToken.clear();
    for (const s of seats) s.close();
    await Promise.all(seats.map((s) => s.session.close()));
  }

  #scheduleSweep(): void {
    const every = Math.max(1000, Math.min(60_000, (this.options.idleMinutes * 60_000) / 4));
    this.#cancelSweep = this.#timers.setTimeout(() => {
      void this.sweepIdle().finally(() => this.#scheduleSweep());
    }, every);
  }

  /** Send a seat's view to the board when it differs from the last one sent. */
  #publish(seat: Seat): void {
    if (!this.#seats.has(seat.id)) return;
    const view = seat.view();
    const { lastActive: _ignored, ...shown } = view;
    const key = JSON.stringify(shown);
    if (this.#lastSent.get(seat.id) === key) return;
    this.#lastSent.set(seat.id, key);
    this.board.emit({ event: 'board.seat', payload: view });
  }

  /** A connection opened or closed: the board shows who is here. */
  connected(seat: Seat, delta: 1 | -1): void {
    seat.connected += delta;
    this.#publish(seat);
  }
}
