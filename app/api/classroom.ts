/**
 * The classroom's own messages, next to the app's contract (app/api/contract.ts), on the same
 * envelopes (`{ id, command, payload }` → `{ id, ok, result | error }`, events `{ event, payload }`).
 *
 *   learner ──/ws?join=CODE──►  join { name }                   → { seat, name, token }
 *   learner ──/ws?seat=TOKEN──► every app command, checked against the seat (app/classroom/dispatch.ts)
 *   trainer ──/ws?board=TOKEN─► the board commands below, and board events
 *
 * The renderer imports only TYPES from here, as from the app's contract (app/api is the one
 * folder of the engine it may name).
 */
import { z } from 'zod';
import type { EventMessage, LabSnapshot, ScenarioView, StepKind } from './contract.ts';

const id = z.string().min(1, 'must not be empty').max(200, 'is too long');
const seatId = z.string().regex(/^s\d{2,3}$/, 'is not a seat id (s01, s02, …)');

/** A display name: letters, digits, spaces and simple punctuation, as a trainer reads it aloud. */
export const displayName = z.string().trim()
  .min(1, 'must not be empty')
  .max(40, 'is longer than 40 characters')
  .regex(/^[\p{L}\p{N} .,'_-]+$/u, 'may hold letters, digits, spaces and . , \' _ - only');

export const joinSchemas = {
  join: z.strictObject({ name: displayName }),
} as const;

/**
 * Commands a trainer may run on one seat's lab from the board: reads only, so the projector view
 * can never change a learner's work. (The learner's own socket has every command.)
 */
export const READ_ONLY_COMMANDS = [
  'getSnapshot', 'listMailbox', 'readMessage', 'getTranscripts', 'listCapturePoints', 'pagePackets', 'packetDetail', 'followStream', 'packetOfLine',
  'getLinks', 'getTimeline', 'getFirewall', 'getServerLog',
] as const;

export const BOARD_COMMAND_NAMES = ['getBoard', 'assignScenario', 'resetSeat', 'removeSeat', 'watchSeat', 'viewSeat', 'exportResults'] as const;
export type BoardCommandName = (typeof BOARD_COMMAND_NAMES)[number];

export const boardSchemas = {
  getBoard: z.strictObject({}),
  /** To every seat, or to one. */
  assignScenario: z.strictObject({ scenario: id, seat: seatId.optional() }),
  /** A fresh lab on the seat's scenario, from step 1. */
  resetSeat: z.strictObject({ seat: seatId }),
  /** Free the seat: its lab stops and its token is refused from then on. */
  removeSeat: z.strictObject({ seat: seatId }),
  /** Receive one seat's own events (`seat.event`) for the read-only view; null stops. */
  watchSeat: z.strictObject({ seat: seatId.nullable() }),
  viewSeat: z.strictObject({ seat: seatId, command: z.enum(READ_ONLY_COMMANDS), payload: z.unknown().optional() }),
  exportResults: z.strictObject({ format: z.enum(['csv', 'json']) }),
} as const satisfies Record<BoardCommandName, z.ZodType>;

export type CheckpointState = 'pending' | 'passed' | 'solved';

export interface CheckpointView {
  /** The step's index in the scenario. */
  index: number;
  id: string;
  ask: string;
  /** pending: not made true yet; passed: the learner's own change; solved: "Show me" (or "Run all") applied the solution. */
  state: CheckpointState;
  /** Wrong checks: "not yet" answers after the first (the first is the checkpoint asking its question). */
  checks: number;
  /** Wall-clock ms when the cursor reached it, and when it passed or was solved. */
  reachedAt?: number;
  doneAt?: number;
}

export type SeatLab = 'none' | 'running' | 'stopped' | 'idle-stopped';

/** One row of the board: everything the trainer sees about a seat, rebuilt on every change. */
export interface SeatView {
  seat: string;
  name: string;
  /** Open sockets of this learner (tabs). */
  connected: number;
  scenario?: { id: string; title: string };
  lab: SeatLab;
  /** The step the cursor is on (null when the scenario is done), with the wall-clock ms it got there. */
  step?: { index: number; total: number; kind: StepKind; summary: string; since: number } | null;
  checkpoints: CheckpointView[];
  passed: number;
  failed: number;
  /** One line: a bounce, a deferred message, a failed expectation (a leak is one), with its time. */
  lastFailure?: { at: number; text: string };
  joinedAt: number;
  lastActive: number;
}

export interface ClassView {
  seats: number;
  scenarios: { id: string; title: string }[];
  idleMinutes: number;
  /** Bytes of capture each seat's lab keeps. */
  capturePerLab: number;
  joinUrl: string;
}

export interface ResultRow {
  seat: string;
  name: string;
  scenario: string;
  step: string;
  checkpoint: string;
  outcome: CheckpointState | 'not-started';
  checks: number;
  joinedAt: string;
  reachedAt: string;
  doneAt: string;
  seconds: number | null;
}

export interface BoardResponses {
  getBoard: { class: ClassView; seats: SeatView[] };
  assignScenario: { seats: string[]; failed: { seat: string; message: string }[] };
  resetSeat: SeatView;
  removeSeat: { seat: string };
  watchSeat: { seat: string | null };
  viewSeat: unknown;
  exportResults: { filename: string; type: string; text: string };
}

export type BoardRequestOf<K extends BoardCommandName> = z.input<(typeof boardSchemas)[K]>;

export interface BoardEvents {
  'board.seat': SeatView;
  'board.removed': { seat: string };
  /** An event of the watched seat's session, for the read-only view. */
  'seat.event': { seat: string; event: EventMessage };
}

export type BoardEventMessage = { [E in keyof BoardEvents]: { event: E; payload: BoardEvents[E] } }[keyof BoardEvents];

/** Sent to a learner's sockets when they connect and when the trainer assigns or resets their lab. */
export interface SeatWelcome {
  seat: string;
  name: string;
  scenario?: ScenarioView;
  snapshot: LabSnapshot;
}

export type SeatEventMessage =
  | { event: 'seat.welcome'; payload: SeatWelcome }
  | { event: 'seat.assigned'; payload: SeatWelcome }
  | { event: 'seat.closed'; payload: { reason: string } };

/** The classroom's refusals, on top of the app's error codes. */
export type ClassroomErrorCode = 'full' | 'forbidden' | 'read-only';

export type BoardApi = { [K in BoardCommandName]: (request: BoardRequestOf<K>) => Promise<BoardResponses[K]> } & {
  onEvent(listener: (event: BoardEventMessage) => void): () => void;
};
