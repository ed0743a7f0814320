/**
 * The three doors into a class, each a `Dispatch` (app/api/dispatch.ts) for the socket layer:
 *
 *   joinDispatch(room)        join { name } → a seat and its token; nothing else
 *   seatDispatch(room, seat)  every app command, on the seat's own session only, checked against
 *                             the class (only its scenarios); nothing reaches another seat
 *   boardDispatch(room, …)    the trainer's commands; viewSeat passes read-only commands only
 *
 * Every payload is validated (zod) before a handler runs; every refusal is a typed error.
 */
import { describeIssues, isCommandName, validateRequest, type CommandName, type Result } from '../api/contract.ts';
import { createDispatch, errorOf, type Dispatch } from '../api/dispatch.ts';
import { createHandlers } from '../api/handlers.ts';
import { BOARD_COMMAND_NAMES, READ_ONLY_COMMANDS, boardSchemas, joinSchemas, type BoardCommandName, type BoardResponses } from '../api/classroom.ts';
import { ClassroomFailure, type Classroom } from './room.ts';
import { resultRows, resultsCsv, resultsJson } from './results.ts';
import type { Seat } from './seat.ts';
import { z } from 'zod';

function refusal(error: unknown): Result<never> {
  if (error instanceof ClassroomFailure) return { ok: false, error: { code: error.code as never, message: error.message } };
  return { ok: false, error: errorOf(error) };
}

function parse<S extends z.ZodType>(schema: S, command: string, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload ?? {});
  if (!parsed.success) throw new ClassroomFailure('invalid-payload', `${command}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/**
 * One join socket takes one seat: the join page joins once and moves on to its seat's socket. A
 * socket that sent `join` again and again once took every seat of the class, so a leaked join link
 * in one script's hands emptied the room; another learner joins from a browser of their own.
 */
export function joinDispatch(room: Classroom, onJoined: (seat: Seat) => void = () => {}): Dispatch {
  let taken: string | undefined;
  return async (command, payload) => {
    if (command !== 'join') return { ok: false, error: { code: 'unknown-command', message: `this link only joins the class: send "join" with your name (got ${typeof command === 'string' ? `"${command.slice(0, 64)}"` : typeof command})` } };
    try {
      const { name } = parse(joinSchemas.join, 'join', payload);
      if (taken) throw new ClassroomFailure('forbidden', `this connection has taken seat ${taken} already: one connection takes one seat (another learner joins from their own browser)`);
      const seat = room.join(name);
      taken = seat.id;
      onJoined(seat);
      return { ok: true, result: { seat: seat.id, name: seat.name, token: seat.token } };
    } catch (error) {
      return refusal(error);
    }
  };
}

/**
 * App commands a seat's socket refuses, with the reason: each would let a learner out of the class
 * (a scenario the trainer did not offer, a file on the trainer's disk) or tie up the trainer's
 * laptop (the compatibility grid runs dozens of labs of its own, six at a time). The seat's own
 * lab — steps, rehearsal, terminals, the topology's views, recording it as YAML — stays open.
 */
const SEAT_REFUSED: Partial<Record<CommandName, string>> = {
  openScenarioText: 'a class opens only the scenarios the trainer offers, not a file from your disk',
  checkScenarioText: 'a class opens only the scenarios the trainer offers; check scenario files in the desktop app',
  reloadScenario: 'a seat\'s scenario comes from the class; ask the trainer to reset your seat for a fresh lab',
  listRecent: 'recent files are the desktop app\'s, not a class\'s',
  openRecent: 'recent files are the desktop app\'s, not a class\'s: open one of the class\'s scenarios',
  gridOptions: 'the compatibility grid runs labs of its own on the trainer\'s laptop; run it in the desktop app or `postcard-lab grid`',
  runGrid: 'the compatibility grid runs labs of its own on the trainer\'s laptop; run it in the desktop app or `postcard-lab grid`',
  gridCell: 'the compatibility grid runs labs of its own on the trainer\'s laptop; run it in the desktop app or `postcard-lab grid`',
};

/** The names `seatDispatch` refuses (docs/classroom.md, test/classroom/isolation.test.ts). */
export const SEAT_REFUSED_COMMANDS = Object.keys(SEAT_REFUSED) as CommandName[];

/**
 * `connection`: the seat's socket this dispatch serves; the terminal sessions it opens are its own
 * (at most a few per socket, and per seat's lab: app/terminal/service.ts) and close with it
 * (app/classroom/server.ts).
 */
export function seatDispatch(room: Classroom, seat: Seat, connection: object = {}): Dispatch {
  const inner = createDispatch(createHandlers(seat.session, connection));
  return async (command, payload) => {
    // Refused by name, before its payload is read: the learner hears why, whatever they sent.
    const refused = isCommandName(command) ? SEAT_REFUSED[command] : undefined;
    if (refused) return refusal(new ClassroomFailure('forbidden', `${command as string}: not in a class: ${refused}`));
    const checked = validateRequest(command, payload);
    if (!checked.ok) return checked;
    seat.touch();
    switch (checked.command) {
      case 'listScenarios':
        return { ok: true, result: { scenarios: room.scenarios() } };
      case 'openScenario': {
        const { id } = checked.payload as { id: string };
        if (!room.allowsScenario(id)) return refusal(new ClassroomFailure('forbidden', `this class does not offer scenario "${id}" (offered: ${room.scenarios().map((s) => s.id).join(', ')})`));
        break;
      }
      case 'runAllSteps':
      case 'runNextStep': {
        const solving = checked.command === 'runAllSteps' || (checked.payload as { solve: boolean }).solve;
        if (!solving) break;
        seat.solving = true;
        try {
          return await inner(command, payload);
        } finally {
          seat.solving = false;
        }
      }
      default:
        break;
    }
    return inner(command, payload);
  };
}

/** A contract command that changes a lab, asked through viewSeat, gets `read-only` (not a mere schema error). */
function refuseWrites(payload: unknown): void {
  const command = payload && typeof payload === 'object' ? (payload as { command?: unknown }).command : undefined;
  if (isCommandName(command) && !(READ_ONLY_COMMANDS as readonly string[]).includes(command)) {
    throw new ClassroomFailure('read-only', `viewSeat: the board sees a seat's lab read-only; "${command}" is the learner's to run (read-only: ${READ_ONLY_COMMANDS.join(', ')})`);
  }
}

export interface BoardConnection {
  /** The seat this connection watches for the read-only view, if any. */
  unwatch?: () => void;
}

export function boardDispatch(room: Classroom, joinUrl: string, connection: BoardConnection): Dispatch {
  const handlers: { [K in BoardCommandName]: (payload: z.output<(typeof boardSchemas)[K]>) => Promise<BoardResponses[K]> } = {
    getBoard: async () => ({
      class: { seats: room.options.seats, scenarios: room.scenarios().map((s) => ({ id: s.id, title: s.title })), idleMinutes: room.options.idleMinutes, capturePerLab: room.options.capturePerLab, joinUrl },
      seats: room.views(),
    }),
    assignScenario: (p) => room.assign(p.scenario, p.seat),
    resetSeat: (p) => room.reset(p.seat),
    removeSeat: async (p) => {
      await room.remove(p.seat);
      return { seat: p.seat };
    },
    watchSeat: async (p) => {
      connection.unwatch?.();
      connection.unwatch = p.seat ? room.watch(p.seat) : undefined;
      return { seat: p.seat };
    },
    viewSeat: async (p) => {
      // The schema admits read-only command names only; the seat's own handlers answer.
      const seat = room.seat(p.seat);
      const r = await createDispatch(createHandlers(seat.session))(p.command, p.payload);
      if (!r.ok) throw new ClassroomFailure(r.error.code, r.error.message);
      return r.result;
    },
    exportResults: async (p) => {
      const rows = resultRows(room.views());
      const stamp = new Date(room.options.now?.() ?? Date.now()).toISOString().slice(0, 16).replace(/[:T]/g, '-');
      return p.format === 'csv'
        ? { filename: `class-results-${stamp}.csv`, type: 'text/csv', text: resultsCsv(rows) }
        : { filename: `class-results-${stamp}.json`, type: 'application/json', text: resultsJson(rows, room.options.now?.() ?? Date.now()) };
    },
  };
  return async (command, payload) => {
    if (typeof command !== 'string' || !(BOARD_COMMAND_NAMES as readonly string[]).includes(command)) {
      const shown = typeof command === 'string' ? `"${command.slice(0, 64)}"` : typeof command;
      // A learner's command sent on the board socket is refused here too: the board never touches a lab but through viewSeat.
      return { ok: false, error: { code: 'unknown-command', message: `unknown board command ${shown} (known: ${BOARD_COMMAND_NAMES.join(', ')})` } };
    }
    const name = command as BoardCommandName;
    try {
      if (name === 'viewSeat') refuseWrites(payload);
      const request = parse(boardSchemas[name], name, payload);
      const handler = handlers[name] as (p: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(request) };
    } catch (error) {
      return refusal(error);
    }
  };
}
