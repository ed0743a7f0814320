/**
 * What the lab and its relay thread (relay-thread.ts, relay-worker.ts) say to each other
 * (docs/decisions.md, "The paths run on a thread of their own").
 *
 *   lab (main thread)                                   relay thread
 *   ── control: start a relay, close one, stop ──────►  listeners on 127.0.0.1, one RelayConnection
 *   ◄─ control: listening on port N / failed ────────    per connection (relay.ts, unchanged)
 *   ── paths: a path's new stages (setFirewall) ──────►  read at the next connection (`PATHS_VERSION`)
 *   ◄─ records: tap events, socket names, in order ──    posted before the bytes they describe move on
 *   ◄─ ring: chunk records, in shared memory ─────────   the same, without a message (record-ring.ts)
 *   ◄─ wake: "records are waiting" ───────────────────   at most one outstanding (`WAKE_PENDING`)
 *
 * Records are read by the lab synchronously (`receiveMessageOnPort`) whenever it reads its tap log,
 * so what a sender saw on its socket is already in the log: the thread posts a chunk's record before
 * it writes the chunk on. Counters both threads draw from (connection ids, simulated client ports)
 * live in one shared Int32Array, so ids stay unique and in one sequence across the lab.
 */
import type { CapturePoint, Direction, Endpoint, StageMark, TapConnection } from '../capture/tap.ts';
import type { MessagePort } from 'node:worker_threads';
import type { StageRef } from './profiles.ts';

/** Slots of the shared counters (an Int32Array over a SharedArrayBuffer). */
export const Slot = {
  /** The last connection number handed out: ids are `c1`, `c2`, … */
  CONN_SEQ: 0,
  /** Simulated client ports handed out so far, from `EPHEMERAL_BASE`. */
  EPHEMERAL: 1,
  /** 1 while a wake message is on its way and the lab has not yet read the records. */
  WAKE_PENDING: 2,
  /** Bumped by the lab after each path change it posts. */
  PATHS_VERSION: 3,
  /** Connections onward the thread has started and not yet named (or given up on). */
  CONNECTING: 4,
} as const;
export const SLOTS = 5;

/** A lab's counters, shared with its relay thread when it has one. */
export function labCounters(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
}

/** The first simulated client port (RFC 6335 §6: the dynamic range starts at 49152). */
export const EPHEMERAL_BASE = 49152;

/** The next connection id (`c1`, `c2`, …), one sequence for the lab and its relay thread. */
export function nextConnId(counters: Int32Array): string {
  return `c${Atomics.add(counters, Slot.CONN_SEQ, 1) + 1}`;
}

/** The next simulated client port, from the same shared counter on either thread. */
export function nextClientPort(counters: Int32Array): number {
  return EPHEMERAL_BASE + Atomics.add(counters, Slot.EPHEMERAL, 1);
}

/** Everything a relay on the thread needs, in plain data (structured-cloned across). */
export interface RelaySpec {
  target: { host: string; port: number };
  /** The path whose pipeline this relay runs, by id (only path relays run on the thread; a listener's tap stays in the lab's). */
  path: string;
  clientPoints: CapturePoint[];
  serverPoints: CapturePoint[];
  /** The sender's simulated address; its port comes from the shared counter. */
  client: Omit<Endpoint, 'port'>;
  serverEndpoint: Endpoint;
}

/** One lab on the thread: its ports, counters, seed and paths. */
export interface LabAttach {
  type: 'attach';
  control: MessagePort;
  records: MessagePort;
  wake: MessagePort;
  paths: MessagePort;
  counters: SharedArrayBuffer;
  /** The chunk records' ring (record-ring.ts): the thread writes, the lab reads. */
  ring: SharedArrayBuffer;
  seed: number;
  /** The lab's start, as an epoch in milliseconds (performance.timeOrigin + now), for `t`. */
  startedAt: number;
  /** Each path's stages at attach time, resolved by the lab (app/path/middlebox.ts `pathStages`; none: `pass`). */
  pathStages: Record<string, StageRef[]>;
}

export type ControlOp =
  | { op: 'start'; spec: RelaySpec }
  | { op: 'close'; relay: number }
  | { op: 'detach' };

export type ControlRequest = ControlOp & { id: number };

export type ControlReply = { id: number; port?: number; relay?: number; error?: string };

export interface PathChange {
  path: string;
  stages: StageRef[];
}

/**
 * One event of the tap log, or a socket name, as it crosses between threads. Tuples: cheaper to
 * clone than objects with names. Bytes travel as Uint8Arrays that own exactly their bytes. On the
 * records port each goes with its sequence number (`Posted`), shared with the ring's records.
 */
export type WireRecord =
  | ['open', TapConnection]
  | ['data', string, string, Direction, number, Uint8Array, WireMark[] | undefined, number | undefined]
  | ['close', string, string, number | undefined, TapConnection['closedBy'], string | undefined]
  | ['upstream', string, number, number, number];

export type Posted = [seq: number, record: WireRecord];

export interface WireMark {
  stage: string;
  action: StageMark['action'];
  original?: Uint8Array;
  note?: string;
}

/**
 * The bytes of `b` in an array of their own. Structured cloning copies a view's whole
 * ArrayBuffer, so a slice of a pooled or larger buffer would carry its neighbours across (and the
 * lab's capture would keep them alive). A copy, not `b.slice()`: on a Buffer that is a view.
 */
export function ownBytes(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);
}

/** A Buffer over bytes that came across (no copy). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function toWireMarks(marks: StageMark[] | undefined): WireMark[] | undefined {
  return marks?.map((m) => ({ stage: m.stage, action: m.action, ...(m.original ? { original: ownBytes(m.original) } : {}), ...(m.note !== undefined ? { note: m.note } : {}) }));
}

export function fromWireMarks(marks: WireMark[] | undefined): StageMark[] | undefined {
  return marks?.map((m) => ({ stage: m.stage, action: m.action, ...(m.original ? { original: asBuffer(m.original) } : {}), ...(m.note !== undefined ? { note: m.note } : {}) }));
}

/** Epoch milliseconds, comparable across threads (each thread's `performance.now` has its own origin). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
