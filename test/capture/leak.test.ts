import { describe, expect, it } from 'vitest';
import { TapLog, type Direction } from '../../app/capture/tap.ts';
import { findLeaks, findLeaksOfAll, makeCanaries, reassemble, type Canaries, type LeakHit } from '../../app/capture/leak.ts';
import { composeMessage } from '../../app/mta/compose.ts';
import { dotStuff } from '../../app/smtp/wire.ts';
import { createRng } from '../../app/base/rng.ts';

const rng = createRng(3);
const canaries = makeCanaries((n) => rng.hex(n));
const message = dotStuff(composeMessage({ ref: 'm1', from: 'alice@intellinet.example', to: ['sean@ntsol.example'], subject: 'Trial results', body: 'Hi Sean', date: 0, messageId: 'x@y', canaries }));
const roles = new Map([['p', ['sender', 'wire', 'receiver'] as ('sender' | 'wire' | 'receiver')[]]]);

/** The search by its definition: each canary looked for on its own in every reassembled stream. */
function searchEach(l: TapLog, c: Canaries): LeakHit[] {
  const hits: LeakHit[] = [];
  for (const stream of reassemble(l).values()) {
    for (const where of ['subject', 'header', 'body'] as const) {
      for (let i = stream.bytes.indexOf(c[where]); i >= 0; i = stream.bytes.indexOf(c[where], i + 1)) {
        hits.push({ canary: c[where], where, point: stream.point, conn: stream.conn, dir: stream.dir, offset: i, length: c[where].length });
      }
    }
  }
  return hits;
}

function log(chunks: Buffer[], dir: Direction = 'c2s', conn = 'c1') {
  const l = new TapLog();
  for (const bytes of chunks) l.data({ conn, point: 'p', dir, t: 0, labTime: 0, bytes });
  return l;
}

describe('findLeaks', () => {
  it('finds the three distinct canaries of a message sent in clear, with stream offsets', () => {
    expect(new Set([canaries.subject, canaries.header, canaries.body]).size).toBe(3);
    const hits = findLeaks(log([Buffer.from('DATA\r\n'), message]), canaries, roles);
    expect(hits.map((h) => h.where).sort()).toEqual(['body', 'header', 'subject']);
    const body = hits.find((h) => h.where === 'body')!;
    expect(Buffer.concat([Buffer.from('DATA\r\n'), message]).subarray(body.offset, body.offset + body.length).toString()).toBe(canaries.body);
  });

  it('still finds them when the stream crosses one byte per segment', () => {
    const oneByOne = [...message].map((b) => Buffer.from([b]));
    const hits = findLeaks(log(oneByOne), canaries, roles);
    expect(hits.map((h) => h.where).sort()).toEqual(['body', 'header', 'subject']);
  });

  it('is not fooled by ciphertext, and keeps connections and directions apart', () => {
    const half = Math.floor(canaries.body.length / 2);
    const l = new TapLog();
    // The two halves of a canary on different connections are not a leak.
    l.data({ conn: 'c1', point: 'p', dir: 'c2s', t: 0, labTime: 0, bytes: Buffer.from(canaries.body.slice(0, half)) });
    l.data({ conn: 'c2', point: 'p', dir: 'c2s', t: 0, labTime: 0, bytes: Buffer.from(canaries.body.slice(half)) });
    l.data({ conn: 'c1', point: 'p', dir: 's2c', t: 0, labTime: 0, bytes: Buffer.from(canaries.body.slice(half)) });
    l.data({ conn: 'c1', point: 'p', dir: 'c2s', t: 0, labTime: 0, bytes: createRng(9).bytes(4096) });
    expect(findLeaks(l, canaries, roles)).toEqual([]);
  });

  it('looks only at the capture points that play the requested role', () => {
    const l = log([message]);
    expect(findLeaks(l, canaries, new Map([['p', ['sender'] as ('sender' | 'wire' | 'receiver')[]]]), ['wire'])).toEqual([]);
    expect(findLeaks(l, canaries, new Map([['p', ['sender'] as ('sender' | 'wire' | 'receiver')[]]]), ['sender'])).toHaveLength(3);
  });

  it('finds every message\'s canaries in one pass over the log, exactly as a search for each canary does', () => {
    const r = createRng(11);
    const many = Array.from({ length: 30 }, () => makeCanaries((n) => r.hex(n)));
    const l = new TapLog();
    many.forEach((c, i) => {
      const m = dotStuff(composeMessage({ ref: `m${i}`, from: 'alice@intellinet.example', to: ['sean@ntsol.example'], subject: `Note ${i}`, body: 'Hi', date: 0, messageId: `${i}@y`, canaries: c }));
      // Each message on a connection of its own, cut at a different place each time; every third
      // one byte per segment; every fifth also sent back the other way.
      const conn = `c${i}`;
      const cut = (i * 37) % m.length;
      const chunks = i % 3 === 0 ? [...m].map((b) => Buffer.from([b])) : [m.subarray(0, cut), m.subarray(cut)];
      for (const bytes of chunks) l.data({ conn, point: 'p', dir: 'c2s', t: 0, labTime: 0, bytes });
      if (i % 5 === 0) l.data({ conn, point: 'p', dir: 's2c', t: 0, labTime: 0, bytes: Buffer.from(`250 ok ${c.subject}\r\n`) });
    });
    // One message's Subject canary again, on a connection of its own; a prefix that starts no
    // canary; and a canary cut short by the end of its stream.
    l.data({ conn: 'again', point: 'p', dir: 'c2s', t: 0, labTime: 0, bytes: Buffer.from(`Subject: ${many[7].subject}\r\n`) });
    l.data({ conn: 'decoy', point: 'p', dir: 'c2s', t: 0, labTime: 0, bytes: Buffer.from('PCL-S-zzzzzzzz PCL- PCL-PCL-B-') });
    l.data({ conn: 'short', point: 'p', dir: 'c2s', t: 0, labTime: 0, bytes: Buffer.from(many[3].body.slice(0, -1)) });

    const together = findLeaksOfAll(l, many, roles);
    expect(together).toEqual(many.map((c) => searchEach(l, c)));
    expect(many.map((c) => findLeaks(l, c, roles))).toEqual(together);
    // Each message's three canaries where it went, the echoed Subjects, and message 7's once more.
    expect(together.map((h) => h.length)).toEqual(many.map((_, i) => 3 + (i % 5 === 0 ? 1 : 0) + (i === 7 ? 1 : 0)));
    expect(together[7].filter((h) => h.conn === 'again')).toEqual([expect.objectContaining({ where: 'subject', canary: many[7].subject, offset: 'Subject: '.length })]);
  });
});
