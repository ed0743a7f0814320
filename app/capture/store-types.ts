/** The shapes the capture store takes and gives (docs/packet-view.md); the store itself is store.ts. */
import type { ConnectionKeys, Direction, TapConnection } from './tap.ts';
import type { StreamDissector } from './dissect/types.ts';
import type { FilterError } from './filter.ts';
import type { Deque } from './deque.ts';
import type { Held } from './summary.ts';
import type { CaptureBudget } from './budget.ts';

export interface StoreOptions {
  /** At most this many packets (a guard on object count; the byte budget is the real limit). */
  maxPackets?: number;
  /** A budget of its own of this many bytes, when `budget` is not given (default budget.ts). */
  maxBytes?: number;
  /** The byte budget shared with the lab's tap log (app/capture/budget.ts). */
  budget?: CaptureBudget;
  /** The decryption of reads that do not say (default off: what an eavesdropper sees). */
  decrypt?: boolean;
  mss?: number;
  /** Where keys are looked up when `setKeys` was not called for a connection (e.g. TapLog.keys). */
  keys?: ReadonlyMap<string, ConnectionKeys>;
}

/** A canary found in the reassembled stream of one connection direction (app/capture/leak.ts). */
export interface StreamHit {
  point: string;
  conn: string;
  dir: Direction;
  offset: number;
  length: number;
}

export interface PageQuery {
  point?: string;
  filter?: string;
  /** Index into the matching packets (0 = the first match). */
  from?: number;
  limit?: number;
  /** Only packets that carry canary bytes in clear. */
  leaksOnly?: boolean;
  /** "Decrypt with lab keys" for this read (default: the store's `decrypt` option, off). */
  decrypt?: boolean;
  /**
   * A frame number of `point` (needs `point`: numbers are per capture point): the result's
   * `located` says where that packet sits among the matches, so a view that keeps its selection
   * across a change of filter can scroll to it without holding the list.
   */
  locate?: number;
}

export interface PacketRow {
  no: number;
  /** Seconds since the first packet of the capture point. */
  time: number;
  labTime: number;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  leak: boolean;
  conn: string;
  point: string;
  recordSeq: number | undefined;
  /** A middlebox stage changed, dropped or added bytes of this segment. */
  rewritten: boolean;
}

export interface PageResult {
  total: number;
  matched: number;
  dropped: number;
  /** Frame bytes of the dropped packets. */
  droppedBytes: number;
  rows: PacketRow[];
  /** Set when the filter does not parse; then no rows. */
  error?: FilterError;
  /**
   * Present when the query asked to `locate` a packet: its index among the matches (the `from`
   * that starts a page at it), or null when it does not match (or is not held, or the filter
   * does not parse).
   */
  located?: { no: number; index: number | null };
}

/** One connection at one capture point, as the store keeps it. */
export interface ConnView {
  key: string;
  c: TapConnection;
  stream: number;
  session: StreamDissector;
  held: Deque<Held>;
  closed: boolean;
  truncated: boolean;
}
