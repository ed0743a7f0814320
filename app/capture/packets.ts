/**
 * Packet synthesis: turn the tap's chunks into the TCP packets an eavesdropper would have seen.
 *
 * The relay sees byte streams, not packets (the kernel hides segmentation from it), so the packet
 * view rebuilds a plausible TCP conversation from the chunks, deterministically:
 *
 *   open   ──► SYN, SYN/ACK, ACK           (RFC 9293 §3.5; MSS 1460 in the SYNs)
 *   data   ──► segments of ≤ MSS bytes, PSH on the last one of each chunk,
 *              a pure ACK from the peer after every second segment of a long chunk and when the
 *              peer has nothing to piggy-back the ACK on (delayed ACK, RFC 1122 §4.2.3.2)
 *   close  ──► FIN/ACK, FIN/ACK, ACK from the side that closed first; RST/ACK on a reset
 *   refuse ──► SYN, RST/ACK                (a firewall refusing, as the `block` stage models it)
 *
 * The SYN/ACK of a connection is emitted when its server side accepted it (the `established`
 * event, at that time), so a refused connection never shows a completed handshake; from a source
 * that does not say when (an older or hand-made log), with its first data or its close. Initial sequence numbers are derived from the connection id
 * (no randomness, so the same lab replays the same capture).
 */
import type { Direction, StageMark, TapConnection, TapEvent, TapRecord } from './tap.ts';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Ethernet's payload limit less 40 bytes of IPv4 and TCP headers: the classic MSS. */
export const DEFAULT_MSS = 1460;

export interface Packet {
  /**
   * The frame number within its capture point (1-based, no gaps): what the list's `No.` column,
   * `frame.number`, Follow stream and links from transcripts show. Each capture point is its own
   * capture, as a sniffer at that place would number it (docs/packet-view.md).
   */
  no: number;
  /** Order of synthesis across every point of the store (1-based): the store's own key. */
  order: number;
  /** Real milliseconds since lab start (the tap's clock). */
  t: number;
  /** Lab clock, ms since epoch. */
  labTime: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** TCP flags (TCP_SYN | TCP_ACK …). */
  flags: number;
  /** Absolute 32-bit sequence and acknowledgement numbers. */
  seq: number;
  ack: number;
  win: number;
  payload: Buffer;
  conn: string;
  point: string;
  dir: Direction;
  /** The tap record whose bytes this segment carries; undefined for set-up, tear-down and pure ACKs. */
  recordSeq: number | undefined;
  marks: StageMark[] | undefined;
  /** Offset of payload[0] in the reassembled byte stream of (point, conn, dir). */
  streamOffset: number;
}

const EMPTY = Buffer.alloc(0);

/** The key a connection is known by in a capture: the same conn id appears at several points. */
export function connKey(point: string, conn: string): string {
  return `${point}/${conn}`;
}

/** FNV-1a: a stable 32-bit number from a string, for initial sequence numbers and ports. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

interface Side {
  ip: string;
  port: number;
  /** Next sequence number this side will send (absolute, mod 2^32). */
  next: number;
  /** Bytes of stream payload sent so far (not wrapped): the stream offset of the next byte. */
  offset: number;
  win: number;
}

interface TcpState {
  c: TapConnection;
  point: string;
  side: Record<Direction, Side>;
  established: boolean;
  closed: boolean;
  /** Data in this direction that the peer has not acknowledged yet. */
  unacked: Direction | undefined;
  lastT: number;
  lastLabTime: number;
}

const peerOf = (dir: Direction): Direction => (dir === 'c2s' ? 's2c' : 'c2s');

function validPort(p: number | undefined): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536;
}

export interface SynthOptions {
  mss?: number;
  /** Number of the first packet (default 1), of each point and of the whole synthesis order. */
  firstNo?: number;
}

/** A sans-IO packet synthesiser: feed tap events in order, get packets back. */
export class PacketSynth {
  #mss: number;
  #first: number;
  #order: number;
  /** Next frame number per capture point (frame numbers are per point). */
  #pointNo = new Map<string, number>();
  #conns = new Map<string, TcpState>();
  /** Data or close events for connections that never opened (a log that dropped its head). */
  orphans = 0;

  constructor(opts: SynthOptions = {}) {
    this.#mss = Math.max(1, Math.min(opts.mss ?? DEFAULT_MSS, 65495));
    this.#first = opts.firstNo ?? 1;
    this.#order = this.#first;
  }

  push(ev: TapEvent): Packet[] {
    const out: Packet[] = [];
    switch (ev.kind) {
      case 'open':
        this.#open(ev.connection, out);
        break;
      case 'established': {
        const s = this.#conns.get(connKey(ev.connection.point, ev.connection.conn));
        if (s && !s.closed) this.#establish(s, out, ev.connection.establishedAt);
        break;
      }
      case 'data':
        this.#data(ev.record, out);
        break;
      case 'close':
        this.#close(ev.connection, out);
        break;
      default: {
        const never: never = ev;
        return never;
      }
    }
    return out;
  }

  #packet(s: TcpState, dir: Direction, flags: number, payload: Buffer, rec?: TapRecord): Packet {
    const me = s.side[dir];
    const peer = s.side[peerOf(dir)];
    const no = this.#pointNo.get(s.point) ?? this.#first;
    this.#pointNo.set(s.point, no + 1);
    return {
      no,
      order: this.#order++,
      t: s.lastT,
      labTime: s.lastLabTime,
      src: me.ip,
      dst: peer.ip,
      srcPort: me.port,
      dstPort: peer.port,
      flags,
      seq: me.next,
      ack: flags & TCP_ACK ? peer.next : 0,
      win: me.win,
      payload,
      conn: s.c.conn,
      point: s.point,
      dir,
      recordSeq: rec?.seq,
      marks: rec?.marks,
      streamOffset: me.offset,
    };
  }

  #open(c: TapConnection, out: Packet[]): void {
    const key = connKey(c.point, c.conn);
    if (this.#conns.has(key)) return;
    const isn = (d: Direction) => hash32(`${key}/${d}`);
    const clientPort = validPort(c.client.port) ? c.client.port : 49152 + (hash32(key) % 16384);
    const s: TcpState = {
      c,
      point: c.point,
      side: {
        c2s: { ip: c.client.ip, port: clientPort, next: isn('c2s'), offset: 0, win: 64240 },
        // The SMTP side is port 25 unless the tap says otherwise (submission, or a scanner relay).
        s2c: { ip: c.server.ip, port: validPort(c.server.port) ? c.server.port : 25, next: isn('s2c'), offset: 0, win: 65535 },
      },
      established: false,
      closed: false,
      unacked: undefined,
      lastT: c.openedAt,
      lastLabTime: c.labTime,
    };
    this.#conns.set(key, s);
    out.push(this.#packet(s, 'c2s', TCP_SYN, EMPTY));
    s.side.c2s.next = (s.side.c2s.next + 1) >>> 0;
    if (c.closedBy === 'refused') this.#refuse(s, out);
  }

  /**
   * The server side answers the SYN: SYN/ACK, then the client's ACK (RFC 9293 §3.5), at `at` when
   * the source said when it accepted, else at the open (drawn late, with the first data or close).
   */
  #establish(s: TcpState, out: Packet[], at?: number): void {
    if (s.established) return;
    s.established = true;
    const t = s.lastT;
    s.lastT = Math.max(s.c.openedAt, at ?? s.c.openedAt);
    out.push(this.#packet(s, 's2c', TCP_SYN | TCP_ACK, EMPTY));
    s.side.s2c.next = (s.side.s2c.next + 1) >>> 0;
    out.push(this.#packet(s, 'c2s', TCP_ACK, EMPTY));
    s.lastT = Math.max(t, s.lastT);
  }

  #refuse(s: TcpState, out: Packet[]): void {
    s.closed = true;
    out.push(this.#packet(s, 's2c', TCP_RST | TCP_ACK, EMPTY));
  }

  /** The peer acknowledges everything received so far with a segment of its own. */
  #pureAck(s: TcpState, from: Direction, out: Packet[]): void {
    out.push(this.#packet(s, from, TCP_ACK, EMPTY));
    s.unacked = undefined;
  }

  #data(r: TapRecord, out: Packet[]): void {
    const s = this.#conns.get(connKey(r.point, r.conn));
    if (!s) {
      this.orphans++;
      return;
    }
    if (s.closed || r.bytes.length === 0) return;
    s.lastT = Math.max(s.lastT, r.t);
    s.lastLabTime = r.labTime;
    this.#establish(s, out);
    const dir = r.dir;
    // The peer had data of ours unacknowledged and sends nothing to carry the ACK: ACK it now.
    if (s.unacked === dir) this.#pureAck(s, peerOf(dir), out);
    const me = s.side[dir];
    const bytes = r.bytes;
    let segments = 0;
    for (let at = 0; at < bytes.length; at += this.#mss) {
      const end = Math.min(at + this.#mss, bytes.length);
      const last = end === bytes.length;
      out.push(this.#packet(s, dir, TCP_ACK | (last ? TCP_PSH : 0), bytes.subarray(at, end), r));
      me.next = (me.next + (end - at)) >>> 0;
      me.offset += end - at;
      segments++;
      // Delayed ACK: at least every second full-sized segment is acknowledged (RFC 1122 §4.2.3.2).
      if (!last && segments % 2 === 0) this.#pureAck(s, peerOf(dir), out);
    }
    // Data the peer received from this side now awaits acknowledgement; data of the peer that
    // this segment acknowledged does not.
    s.unacked = dir;
  }

  #close(c: TapConnection, out: Packet[]): void {
    const s = this.#conns.get(connKey(c.point, c.conn));
    if (!s) {
      this.orphans++;
      return;
    }
    const key = connKey(c.point, c.conn);
    if (s.closed) {
      // Refused at open: the SYN and RST are out already.
      this.#conns.delete(key);
      return;
    }
    s.lastT = Math.max(s.lastT, c.closedAt ?? s.lastT);
    const by = c.closedBy ?? 'client';
    if (by === 'refused' && !s.established) {
      this.#refuse(s, out);
      this.#conns.delete(key);
      return;
    }
    this.#establish(s, out);
    s.closed = true;
    if (by === 'reset' || by === 'refused') {
      // A reset carries no FIN exchange; the model sends it from the server side (the firewall
      // and the receiver are what drop connections in this lab).
      out.push(this.#packet(s, 's2c', TCP_RST | TCP_ACK, EMPTY));
      this.#conns.delete(key);
      return;
    }
    const first: Direction = by === 'server' ? 's2c' : 'c2s';
    const second = peerOf(first);
    out.push(this.#packet(s, first, TCP_FIN | TCP_ACK, EMPTY));
    s.side[first].next = (s.side[first].next + 1) >>> 0;
    out.push(this.#packet(s, second, TCP_FIN | TCP_ACK, EMPTY));
    s.side[second].next = (s.side[second].next + 1) >>> 0;
    out.push(this.#packet(s, first, TCP_ACK, EMPTY));
    s.unacked = undefined;
    // Nothing more can happen on this connection: let its state go (long captures).
    this.#conns.delete(key);
  }
}

/**
 * Packets for the connections and records of one capture point: the events are put in order
 * (open before the connection's data, data by record sequence, close after the last record).
 */
export function packetsFrom(connections: TapConnection[], records: TapRecord[], opts?: SynthOptions): Packet[] {
  return synthesize(eventsFrom(connections, records), opts);
}

export function synthesize(events: Iterable<TapEvent>, opts?: SynthOptions): Packet[] {
  const synth = new PacketSynth(opts);
  const out: Packet[] = [];
  for (const ev of events) for (const p of synth.push(ev)) out.push(p);
  return out;
}

/** Merge connections and records into one event stream in capture order. */
export function eventsFrom(connections: TapConnection[], records: TapRecord[]): TapEvent[] {
  type Timed = { t: number; rank: number; seq: number; ev: TapEvent };
  const timed: Timed[] = [];
  const firstOf = new Map<string, number>();
  const lastOf = new Map<string, number>();
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  for (const r of sorted) {
    const key = connKey(r.point, r.conn);
    firstOf.set(key, Math.min(firstOf.get(key) ?? Infinity, r.t));
    lastOf.set(key, Math.max(lastOf.get(key) ?? -Infinity, r.t));
  }
  for (const c of connections) {
    const key = connKey(c.point, c.conn);
    const opened = Math.min(c.openedAt, firstOf.get(key) ?? Infinity);
    timed.push({ t: opened, rank: 0, seq: -1, ev: { kind: 'open', connection: c } });
    // When the server side accepted: after the open, before the data it made possible.
    if (c.establishedAt !== undefined) timed.push({ t: Math.max(c.establishedAt, opened), rank: 0, seq: -1, ev: { kind: 'established', connection: c } });
    if (c.closedBy !== undefined || c.closedAt !== undefined) {
      const t = Math.max(c.closedAt ?? -Infinity, lastOf.get(key) ?? -Infinity, c.openedAt);
      timed.push({ t, rank: 2, seq: Infinity, ev: { kind: 'close', connection: c } });
    }
  }
  sorted.forEach((r, i) => timed.push({ t: r.t, rank: 1, seq: i, ev: { kind: 'data', record: r } }));
  // Records keep their own order (a chunk's time may tie or even run backwards across points);
  // opens and closes slot in by time around them.
  const data = timed.filter((x) => x.rank === 1);
  const edges = timed.filter((x) => x.rank !== 1).sort((a, b) => a.t - b.t || a.rank - b.rank);
  const out: TapEvent[] = [];
  let e = 0;
  for (const d of data) {
    while (e < edges.length && (edges[e].t < d.t || (edges[e].t === d.t && edges[e].rank === 0))) out.push(edges[e++].ev);
    out.push(d.ev);
  }
  while (e < edges.length) out.push(edges[e++].ev);
  return out;
}
