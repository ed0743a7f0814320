import { describe, expect, it } from 'vitest';
import { TapLog, type Direction } from '../../app/capture/tap.ts';
import { findLeaks, makeCanaries } from '../../app/capture/leak.ts';
import { composeMessage } from '../../app/mta/compose.ts';
import { dotStuff } from '../../app/smtp/wire.ts';
import { createRng } from '../../app/base/rng.ts';

const rng = createRng(3);
const canaries = makeCanaries((n) => rng.hex(n));
const message = dotStuff(composeMessage({ ref: 'm1', from: 'alice@intellinet.example', to: ['sean@ntsol.example'], subject: 'Trial results', body: 'Hi Sean', date: 0, messageId: 'x@y', canaries }));
const roles = new Map([['p', ['sender', 'wire', 'receiver'] as ('sender' | 'wire' | 'receiver')[]]]);

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
});
