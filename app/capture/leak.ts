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

/** Deterministic canary tokens for one message, from the lab's seeded rng. */
export function makeCanaries(hex: (n: number) => string): Canaries {
  return { subject: `PCL-S-${hex(4)}`, header: `PCL-H-${hex(4)}`, body: `PCL-B-${hex(4)}` };
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

/** Find every occurrence of the canaries on the capture points that play one of `roles`. */
export function findLeaks(log: TapLog, canaries: Canaries, pointRoles: Map<string, PointRole[]>, roles?: PointRole[]): LeakHit[] {
  const points = new Set([...pointRoles].filter(([, r]) => !roles || r.some((x) => roles.includes(x))).map(([id]) => id));
  const hits: LeakHit[] = [];
  for (const stream of reassemble(log, points).values()) {
    for (const where of ['subject', 'header', 'body'] as const) {
      const needle = Buffer.from(canaries[where], 'latin1');
      for (let i = stream.bytes.indexOf(needle); i >= 0; i = stream.bytes.indexOf(needle, i + 1)) {
        hits.push({ canary: canaries[where], where, point: stream.point, conn: stream.conn, dir: stream.dir, offset: i, length: needle.length });
      }
    }
  }
  return hits;
}
