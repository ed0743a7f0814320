/**
 * Positions in a connection's byte streams, and how a position on one side of a middlebox maps to
 * the other side (docs/packet-view.md, "Links"). A transcript line is anchored in the sender's
 * stream (`TranscriptLine.at`, the bytes exactly as the sender wrote and read them: the relay's
 * `client` side); a packet sits in the stream of its own capture point. Where a middlebox stands
 * between the points, each record it passed on carries `origin`, the offset of the chunk that
 * produced it on the side it came from:
 *
 *   c2s:  client side (as sent) ──push at offset S──► stages ──► server side records, origin S
 *   s2c:  server side (as received) ──push at S──► stages ──► client side records, origin S
 *
 * A stage that buffers or rewrites shifts offsets; mapping through `origin` lands on the chunk
 * that caused the bytes, which is what a link should show.
 */
import type { Direction, TapLog } from './tap.ts';

export interface StreamPosition {
  point: string;
  conn: string;
  dir: Direction;
  offset: number;
}

/** What the mapping reads: the tap log's records and connections (TapLog fits). */
/** What the positions need of the tap log: one connection's points and records (`TapLog.ofConn`). */
export type TapView = Pick<TapLog, 'ofConn'>;

interface Span {
  start: number;
  end: number;
  origin?: number;
}

function spans(log: TapView, point: string, conn: string, dir: Direction): Span[] {
  const out: Span[] = [];
  let at = 0;
  for (const r of log.ofConn(conn).records) {
    if (r.point !== point || r.dir !== dir) continue;
    out.push({ start: at, end: at + r.bytes.length, origin: r.origin });
    at += r.bytes.length;
  }
  return out;
}

/**
 * The connection's sides: the client side (the sender's stream: its first point) and the server
 * side (its first point, if apart), and which side each point sits on. Every point of one side
 * records the same bytes (a wire point beside the sender's own), so any one of them maps.
 */
export function sidesOf(log: TapView, conn: string): { client?: string; server?: string; of: Map<string, 'client' | 'server'> } {
  const sides: { client?: string; server?: string; of: Map<string, 'client' | 'server'> } = { of: new Map() };
  for (const c of log.ofConn(conn).connections) {
    const side = c.side === 'server' ? 'server' : 'client';
    sides.of.set(c.point, side);
    if (side === 'server') sides.server ??= c.point;
    else sides.client ??= c.point;
  }
  return sides;
}

const covering = (list: Span[], offset: number) => list.find((s) => offset >= s.start && offset < s.end);

/** The first span the chunk at `origin` produced, or the first one after it (a stage held bytes back). */
function producedBy(list: Span[], origin: number): Span | undefined {
  return list.find((s) => s.origin !== undefined && s.origin >= origin);
}

/**
 * The same byte on the other side: `delta` bytes into the chunk on this side are as many bytes
 * into the chunk it became on that side (exact for a chunk passed on unchanged), clamped to it.
 */
const within = (span: Span, delta: number) => span.start + Math.min(delta, span.end - span.start - 1);

/** A position at any point of the connection, as an offset in the sender's stream (the client side). */
export function toSenderOffset(log: TapView, pos: StreamPosition): number | undefined {
  const sides = sidesOf(log, pos.conn);
  const side = sides.of.get(pos.point);
  if (side === 'client') return pos.offset;
  if (side !== 'server' || !sides.client) return undefined;
  const here = covering(spans(log, pos.point, pos.conn, pos.dir), pos.offset);
  if (!here) return undefined;
  const client = spans(log, sides.client, pos.conn, pos.dir);
  // c2s: these bytes came from the client side's chunk at `origin`; s2c: they went on as the
  // client side's chunk produced by this one.
  const there = pos.dir === 'c2s' ? (here.origin === undefined ? undefined : covering(client, here.origin)) : producedBy(client, here.start);
  return there && within(there, pos.offset - here.start);
}

/** An offset in the sender's stream, as an offset at `point` (the client side, or the server side). */
export function fromSenderOffset(log: TapView, conn: string, dir: Direction, offset: number, point: string): number | undefined {
  const sides = sidesOf(log, conn);
  const side = sides.of.get(point);
  if (side === 'client') return offset;
  if (side !== 'server' || !sides.client) return undefined;
  const here = covering(spans(log, sides.client, conn, dir), offset);
  if (!here) return undefined;
  const server = spans(log, point, conn, dir);
  const there = dir === 's2c' ? (here.origin === undefined ? undefined : covering(server, here.origin)) : producedBy(server, here.start);
  return there && within(there, offset - here.start);
}
