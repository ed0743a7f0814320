/**
 * What an eavesdropper read, per hop: the tap records of a lab regrouped into one byte stream per
 * capture point, connection and direction (so a line cut into one-byte segments by a `slicer` is
 * whole again), each tagged with the partner host it went to and the epoch it was opened in.
 * Written here rather than taken from app/capture/leak.ts so the envelope check does not share
 * the detector's code.
 */
import type { Lab } from '../../app/lab/lab.ts';
import type { Direction } from '../../app/capture/tap.ts';

export interface Stream {
  point: string;
  conn: string;
  dir: Direction;
  /** The partner host the connection went to (the server end of the tap). */
  host: string | undefined;
  /** 0: opened before the plan's lab change, 1: after it. */
  epoch: 0 | 1;
  bytes: Buffer;
}

/** Connection ids that exist now (taken just before a lab change). */
export function connectionIds(lab: Lab): Set<string> {
  return new Set([...lab.taps.connections.values()].map((c) => c.conn));
}

export function streams(lab: Lab, before: Set<string> | undefined): Stream[] {
  const parts = new Map<string, { point: string; conn: string; dir: Direction; chunks: Buffer[] }>();
  for (const r of lab.taps.records) {
    const key = `${r.point}/${r.conn}/${r.dir}`;
    let part = parts.get(key);
    if (!part) parts.set(key, (part = { point: r.point, conn: r.conn, dir: r.dir, chunks: [] }));
    part.chunks.push(r.bytes);
  }
  return [...parts.values()].map(({ point, conn, dir, chunks }) => ({
    point, conn, dir,
    host: lab.taps.connections.get(`${point}/${conn}`)?.server.host,
    epoch: before && !before.has(conn) ? 1 : 0,
    bytes: Buffer.concat(chunks),
  }));
}

/**
 * The envelope commands of a message as a client writes them (RFC 5321 §4.1.1.2, §4.1.1.3), found
 * case-insensitively (verbs are case-insensitive, §2.4). Parameters after the `>` do not matter.
 */
export function envelopeHits(stream: Stream, from: string, to: string): string[] {
  const text = stream.bytes.toString('latin1').toLowerCase();
  return [`MAIL FROM:<${from}>`, `RCPT TO:<${to}>`].filter((needle) => text.includes(needle.toLowerCase()));
}
