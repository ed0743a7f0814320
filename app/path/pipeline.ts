/**
 * The contract between a middlebox proxy (sockets) and its stages (sans-IO), after Toxiproxy:
 *
 *   client ──c2s──► stage 1 ──► stage 2 ──► … ──► stage n ──► server
 *   client ◄──s2c── stage 1 ◄── stage 2 ◄── … ◄── stage n ◄── server
 *
 * The proxy feeds the bytes each socket reads into `push(dir, bytes)` and carries out what comes
 * back, in order: deliver bytes to the far side (after an optional real-time delay), or close.
 * A stage may also answer the near side itself (a firewall replying `454` to STARTTLS): that is a
 * `deliver` in the opposite direction. Stages are deterministic under the lab's seed.
 */
import type { Direction, StageMark } from '../capture/tap.ts';

export type PipelineOutput =
  /** Bytes that leave the middlebox travelling in `dir` (c2s: towards the server). */
  | { type: 'deliver'; dir: Direction; bytes: Buffer; marks?: StageMark[]; delayMs?: number }
  /** End the connection: a polite FIN both ways, or a reset (a dropped connection). */
  | { type: 'close'; how: 'fin' | 'reset'; reason: string; delayMs?: number };

export interface Pipeline {
  /** Called once when a client connects; a `close` here refuses the connection (the `block` stage). */
  open(): PipelineOutput[];
  /** Bytes read from the side that sends in `dir`. */
  push(dir: Direction, bytes: Buffer): PipelineOutput[];
  /** The side that sends in `dir` half-closed its stream. */
  end(dir: Direction): PipelineOutput[];
}

/** The `pass` profile: forwards bytes unchanged. Also what a tap on a `direct` path runs. */
export function passPipeline(): Pipeline {
  return {
    open: () => [],
    push: (dir, bytes) => [{ type: 'deliver', dir, bytes }],
    end: () => [],
  };
}
