/**
 * The tap record: one chunk of bytes seen at one capture point (docs/lab.md, "Shared shapes").
 *
 * Every connection between organisations runs through a recording relay (app/path/relay.ts). The
 * relay reports, per connection, that it opened, every chunk per direction as it crossed each
 * capture point, what a middlebox stage did to it, and how it closed. Everything downstream — the
 * leak detector, transcripts, the packet view, pcapng exports — reads these records and nothing
 * else, so the wire is the single source of truth about what an eavesdropper could read.
 *
 *   sender MTA ──► [sent (+ wire)] ──► middlebox stages ──► [(wire +) received] ──► receiver MTA
 *
 * A firewall path has three points per direction: the wire (the Internet) is the side of the box
 * away from its owner, so it records the same bytes as `sent` or as `received`. On a `direct`
 * path there is one capture point; it plays all three roles (sender, wire, receiver). A listener
 * of a host has a point of its own for sessions from outside the lab (roles: none).
 */
import type { NtlmSessionKeys } from '../ntlm/keys.ts';
import { CaptureBudget, RECORD_OBJECT_BYTES } from './budget.ts';
import { Deque } from './deque.ts';

/** Client to server, or server to client, relative to the TCP connection. */
export type Direction = 'c2s' | 's2c';

/** Which view (docs/lab.md, "Paths and capture points") a capture point gives: as sent, as it crossed the Internet, as received. */
export type PointRole = 'sender' | 'wire' | 'receiver';

/** A simulated network endpoint (documentation-range address, RFC 5737). */
export interface Endpoint {
  ip: string;
  port: number;
  host?: string;
}

export interface CapturePoint {
  id: string;
  /** Human label: "intellinet → ntsol, outside the firewall". */
  label: string;
  /** The path this point sits on. */
  path: string;
  roles: PointRole[];
  /** On a firewall path: before the middlebox (the connecting side) or after it. */
  side?: 'before' | 'after';
}

/** What a middlebox stage did to the bytes of a record (docs/stages.md, "Fixed vectors": every change is recorded). */
export interface StageMark {
  stage: string;
  /** `logged`: the bytes passed unchanged and the stage logged them (an ASA `match … log`). */
  action: 'changed' | 'dropped' | 'added' | 'logged';
  /** The bytes before the stage touched them (for `changed`, `dropped` and `logged`). */
  original?: Buffer;
  note?: string;
}

export interface TapConnection {
  conn: string;
  point: string;
  client: Endpoint;
  server: Endpoint;
  /** Real milliseconds since lab start. */
  openedAt: number;
  labTime: number;
  /**
   * Real milliseconds since lab start when the server side accepted the connection (the relay's
   * own connection onward came up): the time of the SYN/ACK the packet view draws. Unset until then,
   * and for a connection refused at set-up.
   */
  establishedAt?: number;
  closedAt?: number;
  /** How the connection ended: a FIN from either side, a reset, or refused at set-up. */
  closedBy?: 'client' | 'server' | 'reset' | 'refused';
  /** Why a middlebox reset or refused it (the stage's reason), for the firewall's log. */
  closeReason?: string;
  /** The loopback port the client connected from, used to hand keys from an endpoint to a capture. */
  loopbackClientPort?: number;
  /**
   * The loopback port it connected to (the relay's). With the client's port it names the socket:
   * Linux hands out one source port to connections with different destinations at once.
   */
  loopbackServerPort?: number;
  /**
   * Which side of the relay's middlebox this point sits on: `client`, the bytes exactly as the
   * connecting side wrote and read them (on a `direct` path the only point), or `server`.
   */
  side?: 'client' | 'server';
}

export interface TapRecord {
  /** Global order of records within a lab. */
  seq: number;
  conn: string;
  point: string;
  dir: Direction;
  /** Real milliseconds since lab start (network I/O runs in real time). */
  t: number;
  /** Lab clock at capture, ms since epoch. */
  labTime: number;
  bytes: Buffer;
  marks?: StageMark[];
  /**
   * For bytes a middlebox passed on: the offset, in the same direction's stream on the side they
   * came from, of the first byte of the chunk that produced them. With it a packet on one side
   * maps to the bytes on the other side (app/capture/anchor.ts).
   */
  origin?: number;
}

/**
 * Key hand-off (docs/lab.md, "Shared shapes"): what an endpoint knows about the secrets of one connection, so the
 * packet view can decrypt on request and pcapng can carry a Decryption Secrets Block.
 */
export interface ConnectionKeys {
  /** NSS key log lines (CLIENT_RANDOM …, CLIENT_HANDSHAKE_TRAFFIC_SECRET …), in order. */
  tlsKeyLog: string[];
  ntlm?: NtlmSessionKeys;
}

export type TapEvent =
  | { kind: 'open'; connection: TapConnection }
  /** The server side accepted the connection (`connection.establishedAt`). */
  | { kind: 'established'; connection: TapConnection }
  | { kind: 'data'; record: TapRecord }
  | { kind: 'close'; connection: TapConnection };

/** Where a relay reports what it sees. Sequence numbers and storage are the log's business. */
export interface TapSink {
  open(connection: TapConnection): void;
  data(record: Omit<TapRecord, 'seq'>): void;
  close(connection: TapConnection): void;
}

/**
 * Closed connections whose loopback socket `connByClientPort` still names. Far more than the
 * sessions open at once (the bench keeps 20 to 50), far fewer than the kernel's ephemeral ports
 * (28,232 on Linux), so a name is let go before its source port comes round again.
 */
export const KEEP_CLOSED_SOCKETS = 10_000;

/** One connection's points and the records of it the log still holds, in order. */
export interface ConnTaps {
  readonly connections: readonly TapConnection[];
  readonly records: readonly TapRecord[];
}

/** The log's index of one connection: its points, and its records still held (the oldest go first). */
class ConnIndex {
  readonly connections: TapConnection[] = [];
  readonly records = new Deque<TapRecord>();
}

const NO_TAPS: ConnTaps = { connections: [], records: [] };

/**
 * The lab's log of everything the taps saw, in order, with the key hand-off beside it. Bounded by
 * the byte budget it shares with the lab's packet store (budget.ts): the oldest records go and are
 * counted (`dropped`, `droppedBytes`), never an unbounded array.
 */
export class TapLog implements TapSink {
  /**
   * Every record still held, oldest first. A deque: once the budget is reached every new record
   * lets the oldest go, and an array's `shift` over the hundreds of thousands held then moved them
   * all each time (a quarter of the lab's thread in the `load` figure; docs/bench.md).
   */
  readonly records = new Deque<TapRecord>();
  readonly connections = new Map<string, TapConnection>();
  readonly keys = new Map<string, ConnectionKeys>();
  dropped = 0;
  /** Bytes of the dropped records (their data and the originals of stage marks). */
  droppedBytes = 0;
  #seq = 0;
  #listeners = new Set<(event: TapEvent) => void>();
  #byClientPort = new Map<string, string>();
  /**
   * Each connection's points and records (`ofConn`): what a delivery's middlebox check and the
   * packet view's positions across a middlebox ask about one connection, without a scan of the
   * whole log (up to the capture budget's million records) per question.
   */
  #byConn = new Map<string, ConnIndex>();
  /**
   * Closed connections still named in `#byClientPort`, and their sockets' keys: a ring, the oldest
   * at `#closedNext` once full. (A Map used as a queue was slower: V8 leaves the deleted oldest
   * entries as holes that every look at the first entry steps over until the next rehash.)
   */
  #closedConns: string[] = [];
  #closedKeys: string[] = [];
  #closedNext = 0;
  #lastClosed: string | undefined;
  readonly #keepClosedSockets: number;
  readonly budget: CaptureBudget;

  /**
   * `budget`: the lab's shared one, or a number of bytes for a budget of its own.
   * `keepClosedSockets`: how many closed connections `connByClientPort` still answers for.
   */
  constructor(budget: CaptureBudget | number = new CaptureBudget(), { keepClosedSockets = KEEP_CLOSED_SOCKETS } = {}) {
    this.budget = typeof budget === 'number' ? new CaptureBudget(budget) : budget;
    this.#keepClosedSockets = keepClosedSockets;
    this.budget.register({ oldestSeq: () => this.records.first()?.seq, dropOldest: () => this.#dropOldest() });
  }

  /** Subscribe to tap events; returns the unsubscribe function. */
  subscribe(fn: (event: TapEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  open(connection: TapConnection): void {
    this.connections.set(`${connection.point}/${connection.conn}`, connection);
    this.#place(connection);
    if (connection.loopbackClientPort) this.#byClientPort.set(socketKey(connection.loopbackClientPort, connection.loopbackServerPort ?? 0), connection.conn);
    this.#emit({ kind: 'open', connection });
  }

  /**
   * The server side accepted the connection at `at` (real ms since lab start): every point of it
   * still open learns so. A firewall in this lab passes the TCP handshake through, so the points
   * before it see the SYN/ACK when the receiver sends it, not when the relay accepted.
   */
  established(conn: string, at: number): void {
    const index = this.#byConn.get(conn);
    if (!index) return;
    for (const connection of index.connections) {
      if (connection.closedBy !== undefined || connection.establishedAt !== undefined) continue;
      connection.establishedAt = at;
      this.#emit({ kind: 'established', connection });
    }
  }

  data(record: Omit<TapRecord, 'seq'>): void {
    // The relay hands over a fresh object per chunk: numbered in place, not copied (one allocation
    // per chunk fewer on the hottest path; docs/bench.md, "Where the time goes").
    const full = record as TapRecord;
    full.seq = this.#seq++;
    this.records.push(full);
    this.#indexOf(full.conn).records.push(full);
    // The buffers a record keeps: its bytes and what stages changed or dropped (no array per record).
    this.budget.hold(full.seq, full.bytes);
    if (full.marks) for (const m of full.marks) if (m.original) this.budget.hold(full.seq, m.original);
    this.budget.add(RECORD_OBJECT_BYTES);
    this.#emit({ kind: 'data', record: full });
    this.budget.enforce();
  }

  #dropOldest(): void {
    const gone = this.records.shift();
    if (!gone) return;
    const index = this.#byConn.get(gone.conn);
    // The log's oldest record is its connection's oldest too.
    if (index?.records.first() === gone) index.records.shift();
    this.dropped++;
    this.budget.add(-RECORD_OBJECT_BYTES);
    this.#release(gone.bytes);
    if (gone.marks) for (const m of gone.marks) if (m.original) this.#release(m.original);
  }

  #release(b: Buffer): void {
    this.droppedBytes += b.length;
    this.budget.release(b);
  }

  close(connection: TapConnection): void {
    this.connections.set(`${connection.point}/${connection.conn}`, connection);
    this.#place(connection);
    if (connection.loopbackClientPort) this.#forgetSocketLater(connection);
    this.#emit({ kind: 'close', connection });
  }

  /**
   * A closed connection's socket name stays answerable while the newest `keepClosedSockets` closed
   * ones do (a sender asks just after its session ends, app/lab/delivery.ts; a terminal for its
   * session's path connection), then goes: the map grew by one entry a connection without it.
   * Each of a connection's points closes it; it is kept once. A key the kernel has since given
   * to a newer connection is left to that one.
   */
  #forgetSocketLater(connection: TapConnection): void {
    // A connection's points close one after another (the relay's `finish`).
    if (connection.conn === this.#lastClosed) return;
    this.#lastClosed = connection.conn;
    const key = socketKey(connection.loopbackClientPort ?? 0, connection.loopbackServerPort ?? 0);
    const keep = this.#keepClosedSockets;
    if (this.#closedConns.length < keep) {
      this.#closedConns.push(connection.conn);
      this.#closedKeys.push(key);
      return;
    }
    let conn = connection.conn;
    let old = key;
    if (keep > 0) {
      const i = this.#closedNext;
      conn = this.#closedConns[i];
      old = this.#closedKeys[i];
      this.#closedConns[i] = connection.conn;
      this.#closedKeys[i] = key;
      this.#closedNext = (i + 1) % keep;
    }
    if (this.#byClientPort.get(old) === conn) this.#byClientPort.delete(old);
  }

  /** One connection's points (as `connections` has them) and its records still held, in order. */
  ofConn(conn: string): ConnTaps {
    const index = this.#byConn.get(conn);
    return index ? { connections: index.connections, records: [...index.records] } : NO_TAPS;
  }

  #indexOf(conn: string): ConnIndex {
    let index = this.#byConn.get(conn);
    if (!index) {
      index = new ConnIndex();
      this.#byConn.set(conn, index);
    }
    return index;
  }

  /** A point's record of a connection, in the index: added at open, replaced by the one a close hands over. */
  #place(connection: TapConnection): void {
    const list = this.#indexOf(connection.conn).connections;
    const i = list.findIndex((c) => c.point === connection.point);
    if (i < 0) list.push(connection);
    else list[i] = connection;
  }

  /** The connection a sender's socket (its loopback port, and the relay port it connected to) travelled on. */
  connByClientPort(port: number, serverPort: number): string | undefined {
    return this.#byClientPort.get(socketKey(port, serverPort));
  }

  /**
   * Key hand-off: an endpoint reports what it knows about a connection's secrets. Both ends of a
   * lab session log the same TLS lines; each line is kept once.
   */
  addKeys(conn: string, keys: Partial<ConnectionKeys>): void {
    const current = this.keys.get(conn) ?? { tlsKeyLog: [] };
    const fresh = (keys.tlsKeyLog ?? []).filter((line) => !current.tlsKeyLog.includes(line));
    this.keys.set(conn, {
      tlsKeyLog: fresh.length > 0 ? [...current.tlsKeyLog, ...fresh] : current.tlsKeyLog,
      ntlm: keys.ntlm ?? current.ntlm,
    });
  }

  #emit(event: TapEvent): void {
    for (const fn of this.#listeners) fn(event);
  }
}

/**
 * A loopback TCP socket's name from the client's side: its source port and the port it reached.
 * A source port alone is ambiguous (the kernel reuses one for connections to different ports at
 * the same time), and a wrong match would credit one message's acceptance to another.
 */
export function socketKey(clientPort: number, serverPort: number): string {
  return `${clientPort}>${serverPort}`;
}
