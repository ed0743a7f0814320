import { describe, expect, it } from 'vitest';
import { RecordFramer } from '../../../app/capture/dissect/framing.ts';
import type { HeaderCheck } from '../../../app/capture/dissect/framing.ts';

/** A toy layer: 2-byte big-endian body length, bodies of at most 8 bytes. */
const toy = (): RecordFramer =>
  new RecordFramer(2, (h): HeaderCheck => {
    const length = h.readUInt16BE(0);
    return length > 8 ? { ok: false, why: `length ${length} too long` } : { ok: true, total: 2 + length };
  });

/** The TLS record header (RFC 8446 §5.1): type 20-24, version 3.x, 2-byte length. */
const tlsLike = (): RecordFramer =>
  new RecordFramer(5, (h): HeaderCheck =>
    h[0] >= 20 && h[0] <= 24 && h[1] === 3 ? { ok: true, total: 5 + h.readUInt16BE(3) } : { ok: false, why: 'not a TLS record' });

/** A header that claims a frame shorter than itself must not loop forever. */
const shrinking = (): RecordFramer => new RecordFramer(2, (): HeaderCheck => ({ ok: true, total: 1 }));

interface Case {
  name: string;
  framer: () => RecordFramer;
  /** [hex bytes, offset in the stream] */
  pushes: [string, number][];
  /** [index of the push that completes the frame, frame hex, start, end] */
  frames: [number, string, number, number][];
  /** [index of the push, why, start, end] */
  failure?: [number, string | RegExp, number, number];
  end?: { start: number; end: number; size: number };
}

const cases: Case[] = [
  { name: 'one frame in one push', framer: toy, pushes: [['0003aabbcc', 100]], frames: [[0, '0003aabbcc', 100, 105]] },
  {
    name: 'a frame split across pushes belongs to the push that completes it',
    framer: toy,
    pushes: [['00', 0], ['03aa', 1], ['bbcc', 3]],
    frames: [[2, '0003aabbcc', 0, 5]],
  },
  {
    name: 'several frames in one push, an empty one among them',
    framer: toy,
    pushes: [['0001aa00000002bbcc', 10]],
    frames: [[0, '0001aa', 10, 13], [0, '0000', 13, 15], [0, '0002bbcc', 15, 19]],
  },
  {
    name: 'one byte at a time',
    framer: toy,
    pushes: ['00', '01', 'aa', '00', '02', 'bb', 'cc'].map((b, i): [string, number] => [b, i]),
    frames: [[2, '0001aa', 0, 3], [6, '0002bbcc', 3, 7]],
  },
  {
    name: 'a frame, then the next one split, its header too',
    framer: toy,
    pushes: [['0001aa00', 0], ['02bbcc', 4]],
    frames: [[0, '0001aa', 0, 3], [1, '0002bbcc', 3, 7]],
  },
  { name: 'an empty push changes nothing', framer: toy, pushes: [['', 5], ['0001aa', 5]], frames: [[1, '0001aa', 5, 8]] },
  {
    name: 'a bad header fails once, covering the rest of its push, and later pushes are ignored',
    framer: toy,
    pushes: [['0001aa', 0], ['00ff01', 3], ['0001aa', 6]],
    frames: [[0, '0001aa', 0, 3]],
    failure: [1, 'length 255 too long', 3, 6],
  },
  {
    name: 'a bad header after a good frame in the same push',
    framer: toy,
    pushes: [['0001aa00ff0102', 40]],
    frames: [[0, '0001aa', 40, 43]],
    failure: [0, 'length 255 too long', 43, 47],
  },
  {
    name: 'a bad header split across pushes fails where it becomes whole',
    framer: toy,
    pushes: [['0001aa00', 0], ['ff', 4]],
    frames: [[0, '0001aa', 0, 3]],
    failure: [1, 'length 255 too long', 3, 5],
  },
  { name: 'an incomplete frame is reported at the end', framer: toy, pushes: [['0004aabb', 20]], frames: [], end: { start: 20, end: 24, size: 4 } },
  {
    name: 'half a header left at the end',
    framer: toy,
    pushes: [['0001aa00', 0]],
    frames: [[0, '0001aa', 0, 3]],
    end: { start: 3, end: 4, size: 1 },
  },
  {
    // RFC 5246 §7.1: ChangeCipherSpec is the record 14 03 03 00 01 01.
    name: '5-byte header: a ChangeCipherSpec record, header split three ways',
    framer: tlsLike,
    pushes: [['1403', 0], ['0300', 2], ['0101', 4]],
    frames: [[2, '140303000101', 0, 6]],
  },
  {
    name: '5-byte header: not a record (an SMTP line after a STARTTLS the server refused)',
    framer: tlsLike,
    pushes: [[Buffer.from('QUIT\r\n').toString('hex'), 0]],
    frames: [],
    failure: [0, 'not a TLS record', 0, 6],
  },
  { name: 'a header claiming less than itself fails', framer: shrinking, pushes: [['0000', 0]], frames: [], failure: [0, /shorter than/, 0, 2] },
];

describe('RecordFramer', () => {
  it.each(cases)('$name', (c) => {
    const framer = c.framer();
    const frames: [number, string, number, number][] = [];
    const failures: [number, string, number, number][] = [];
    c.pushes.forEach(([hex, offset], i) => {
      const r = framer.push(Buffer.from(hex, 'hex'), offset);
      for (const f of r.frames) frames.push([i, f.bytes.toString('hex'), f.range.start, f.range.end]);
      if (r.failure) failures.push([i, r.failure.why, r.failure.range.start, r.failure.range.end]);
    });
    expect(frames).toEqual(c.frames);
    if (c.failure) {
      const [i, why, start, end] = c.failure;
      expect(failures).toEqual([[i, typeof why === 'string' ? why : expect.stringMatching(why), start, end]]);
      expect(framer.failed).toBe(true);
    } else {
      expect(failures).toEqual([]);
      expect(framer.failed).toBe(false);
    }
    const rest = framer.end();
    expect(rest === undefined ? undefined : { ...rest.range, size: rest.size }).toEqual(c.end);
    // What end() reported is gone: a second end() has nothing left.
    expect(framer.end()).toBeUndefined();
  });
});
