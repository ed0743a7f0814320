/** Feed a dissector a conversation, optionally one byte per segment, tracking stream offsets. */
import type { Direction } from '../../../app/capture/tap.ts';
import type { Field, Pdu, StreamDissector } from '../../../app/capture/dissect/types.ts';
import { collectFields } from '../../../app/capture/dissect/types.ts';

export type Turn = [Direction, string | Buffer];

export function run(session: StreamDissector, turns: Turn[], segment = Infinity): Pdu[] {
  const offset: Record<Direction, number> = { c2s: 0, s2c: 0 };
  const out: Pdu[] = [];
  for (const [dir, data] of turns) {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (let at = 0; at < bytes.length; at += segment) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + segment));
      out.push(...session.feed(dir, piece, offset[dir]));
      offset[dir] += piece.length;
    }
  }
  out.push(...session.end('c2s'), ...session.end('s2c'));
  return out;
}

export function fieldsOf(pdus: Pdu[]): Field[] {
  return pdus.flatMap((p) => collectFields(p.tree));
}

export function values(pdus: Pdu[], name: string): unknown[] {
  return fieldsOf(pdus).filter((f) => f.name === name).map((f) => f.value);
}
