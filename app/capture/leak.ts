/**
 * Leak detection (docs/packet-view.md): every message carries distinct canaries — in its Subject, in another
 * header and in its body. The detector reassembles each connection's byte stream per capture point
 * and direction before searching, so a canary cut across TCP segments, or sent one byte per segment
 * by a `slicer`, is still found. A hit gives the stream offset, so the packet view can flag exactly
 * the packets that carry it.
 */
import type { Direction, PointRole, TapLog } from './tap.ts';

export interface Canaries {
  subject: string;
  header: string;
  body: string;
}

export interface LeakHit {
  canary: string;
  /** Which canary: in the Subject, in another header, or in the body. */
  where: keyof Canaries;
  point: string;
  conn: string;
  dir: Direction;
  /** Offset of the first byte in the reassembled stream of that connection and direction. */
  offset: number;
  length: number;
}

/** What every canary begins with: the leak search looks for it once, then for which canary it starts. */
export const CANARY_PREFIX = 'PCL-';

/** Deterministic canary tokens for one message, from the lab's seeded rng. */
export function makeCanaries(hex: (n: number) => string): Canaries {
  return { subject: `${CANARY_PREFIX}S-${hex(4)}`, header: `${CANARY_PREFIX}H-${hex(4)}`, body: `${CANARY_PREFIX}B-${hex(4)}` };
}

/** Reassembled streams of the log: `point/conn/dir` → bytes, in capture order. */
export function reassemble(log: TapLog, points?: ReadonlySet<string>): Map<string, { point: string; conn: string; dir: Direction; bytes: Buffer }> {
  const parts = new Map<string, { point: string; conn: string; dir: Direction; chunks: Buffer[] }>();
  for (const r of log.records) {
    if (points && !points.has(r.point)) continue;
    const key = `${r.point}/${r.conn}/${r.dir}`;
    let entry = parts.get(key);
    if (!entry) parts.set(key, (entry = { point: r.point, conn: r.conn, dir: r.dir, chunks: [] }));
    entry.chunks.push(r.bytes);
  }
  const out = new Map<string, { point: string; conn: string; dir: Direction; bytes: Buffer }>();
  for (const [key, { point, conn, dir, chunks }] of parts) out.set(key, { point, conn, dir, bytes: Buffer.concat(chunks) });
  return out;
}

const WHERE = ['subject', 'header', 'body'] as const;

/** The capture points that play one of `roles` (every point when none is asked for). */
function pointsPlaying(pointRoles: Map<string, PointRole[]>, roles?: PointRole[]): Set<string> {
  return new Set([...pointRoles].filter(([, r]) => !roles || r.some((x) => roles.includes(x))).map(([id]) => id));
}

/** Find every occurrence of the canaries on the capture points that play one of `roles`. */
export function findLeaks(log: TapLog, canaries: Canaries, pointRoles: Map<string, PointRole[]>, roles?: PointRole[]): LeakHit[] {
  return findLeaksOfAll(log, [canaries], pointRoles, roles)[0];
}

/**
 * `findLeaks` for many messages at once, with one reassembly of the log and one pass over each
 * stream: every canary begins `PCL-` (`makeCanaries`), so each place that does is looked up among
 * all the messages' canaries. Asking message by message reassembled the whole log each time, which
 * made marking a lab's leaks cost its message count times its capture (800 messages: 10 s, for
 * every topology refresh; docs/packet-view.md, "What the view shows"). The hits of each message come in the order
 * `findLeaks` gives them: stream by stream, then Subject, header and body, each by offset.
 */
export function findLeaksOfAll(log: TapLog, messages: readonly Canaries[], pointRoles: Map<string, PointRole[]>, roles?: PointRole[]): LeakHit[][] {
  const wanted = new Map<string, { message: number; where: keyof Canaries }[]>();
  const lengths = new Set<number>();
  messages.forEach((canaries, message) => {
    for (const where of WHERE) {
      const canary = canaries[where];
      if (!canary.startsWith(CANARY_PREFIX)) throw new Error(`canary ${JSON.stringify(canary)} does not begin ${CANARY_PREFIX}`);
      const list = wanted.get(canary);
      if (list) list.push({ message, where });
      else wanted.set(canary, [{ message, where }]);
      lengths.add(canary.length);
    }
  });
  const hits: LeakHit[][] = messages.map(() => []);
  if (wanted.size === 0) return hits;
  const prefix = Buffer.from(CANARY_PREFIX, 'latin1');
  for (const stream of reassemble(log, pointsPlaying(pointRoles, roles)).values()) {
    const found: { message: number; where: keyof Canaries; hit: LeakHit }[] = [];
    for (let i = stream.bytes.indexOf(prefix); i >= 0; i = stream.bytes.indexOf(prefix, i + 1)) {
      for (const length of lengths) {
        if (i + length > stream.bytes.length) continue;
        const canary = stream.bytes.toString('latin1', i, i + length);
        for (const w of wanted.get(canary) ?? []) {
          found.push({ ...w, hit: { canary, where: w.where, point: stream.point, conn: stream.conn, dir: stream.dir, offset: i, length } });
        }
      }
    }
    // Offsets ascend already; a stable sort puts each message's Subject, header and body in turn.
    found.sort((a, b) => WHERE.indexOf(a.where) - WHERE.indexOf(b.where));
    for (const f of found) hits[f.message].push(f.hit);
  }
  return hits;
}
