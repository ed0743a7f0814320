/**
 * `page({ locate })` (docs/packet-view.md, "Selection"): where a packet sits among the packets a
 * page's filter, "Leaks only" and decryption show, so a view keeps its selection across a filter
 * change. Each index is checked against the full list of matches, read page by page.
 */
import { describe, expect, it } from 'vitest';
import { CaptureStore } from '../../app/capture/store.ts';
import type { PageQuery } from '../../app/capture/store.ts';
import { deriveSessionKeys } from '../../app/ntlm/keys.ts';
import { createSecurityLayer } from '../../app/ntlm/sasl-layer.ts';
import { FLAGS, ntlmAuthTurns, randomSessionKey } from './dissect/ntlm-vectors.ts';
import { plainSession, tapScript } from './tap-script.ts';

/** The index of packet `no` in the whole list `q` shows (every row fetched), or null. */
function indexInList(store: CaptureStore, q: PageQuery, no: number): number | null {
  const i = store.page({ ...q, from: 0, limit: 100_000 }).rows.findIndex((r) => r.no === no);
  return i < 0 ? null : i;
}

function located(store: CaptureStore, q: PageQuery, no: number) {
  return store.page({ ...q, limit: 1, locate: no }).located;
}

describe('capture store: locating a packet among the matches', () => {
  it('without a filter the index is the packet\'s place in its point\'s list, also after the oldest were dropped', () => {
    const store = new CaptureStore({ maxPackets: 10 });
    store.ingestAll(tapScript(plainSession()));
    // 19 packets, the first 9 dropped: frame 12 is the third held.
    expect(located(store, { point: 'p1' }, 12)).toEqual({ no: 12, index: 2 });
    expect(indexInList(store, { point: 'p1' }, 12)).toBe(2);
    expect(located(store, { point: 'p1' }, 19)).toEqual({ no: 19, index: 9 });
    // Dropped, or never captured: said, not guessed.
    expect(located(store, { point: 'p1' }, 3)).toEqual({ no: 3, index: null });
    expect(located(store, { point: 'p1' }, 20)).toEqual({ no: 20, index: null });
  });

  it('with a filter the index counts only the matches before it; a packet the filter hides does not match', () => {
    const store = new CaptureStore();
    store.ingestAll(tapScript(plainSession()));
    const q = { point: 'p1', filter: 'smtp.response.code' };
    const replies = store.page({ ...q, limit: 100 }).rows.map((r) => r.no);
    expect(replies).toHaveLength(7);
    for (const [i, no] of replies.entries()) expect(located(store, q, no)).toEqual({ no, index: i });
    // The first SYN is no reply; a frame past the end is nothing.
    expect(located(store, q, 1)).toEqual({ no: 1, index: null });
    expect(located(store, q, 999)).toEqual({ no: 999, index: null });
    // The page itself is unchanged by the question.
    expect(store.page({ ...q, from: 2, limit: 3, locate: replies[6] }).rows.map((r) => r.no)).toEqual(replies.slice(2, 5));
    // What the packet view counted before with two filters (`frame.number == N`, then `< N`).
    const last = replies[6];
    expect(located(store, q, last)?.index).toBe(store.page({ point: 'p1', filter: `(smtp.response.code) && frame.number < ${last}` }).matched);
  });

  it('a filter that does not parse shows nothing, so nothing is located', () => {
    const store = new CaptureStore();
    store.ingestAll(tapScript(plainSession()));
    const page = store.page({ point: 'p1', filter: 'smtp.req.command ==', locate: 4 });
    expect(page.error?.position).toBe(19);
    expect(page.located).toEqual({ no: 4, index: null });
    expect(store.page({ point: 'nowhere', locate: 1 }).located).toEqual({ no: 1, index: null });
  });

  it('follows "Leaks only", and finds packets that arrived after the filter was cached', () => {
    const store = new CaptureStore({ mss: 16 });
    const events = tapScript([['c2s', 'DATA\r\n'], ['s2c', '354 go\r\n'], ['c2s', 'Subject: PCL-S-abcd\r\n\r\nx\r\n.\r\n'], ['s2c', '250 queued PCL-S-efgh\r\n']]);
    store.markLeaks([{ point: 'p1', conn: 'c1', dir: 'c2s', offset: 'DATA\r\nSubject: '.length, length: 10 }]);
    store.ingestAll(events.slice(0, 4));
    const leaks = { point: 'p1', leaksOnly: true };
    // The canary in the DATA content spans frames 6 and 7 (segments of 16 bytes).
    expect(store.page({ ...leaks, limit: 10 }).rows.map((r) => r.no)).toEqual([6, 7]);
    expect(located(store, leaks, 7)).toEqual({ no: 7, index: 1 });
    expect(located(store, leaks, 5)).toEqual({ no: 5, index: null });
    // A hit in the reply, reported and captured after the cache was built: the cache is extended.
    store.markLeaks([{ point: 'p1', conn: 'c1', dir: 's2c', offset: '354 go\r\n250 queued '.length, length: 10 }]);
    store.ingestAll(events.slice(4));
    const reply = store.page({ point: 'p1', filter: 'smtp.response.code == 250' }).rows[0].no;
    expect(located(store, leaks, reply)).toEqual({ no: reply, index: indexInList(store, leaks, reply) });
    expect(located(store, leaks, reply)?.index).toBeGreaterThan(1);
  });

  it('counts within the point asked for: each capture point numbers and indexes its own packets', () => {
    const store = new CaptureStore();
    // Interleaved, and different: the outside point's session has no EHLO and no message.
    const inside = tapScript(plainSession(), { conn: 'a', point: 'inside' });
    const outside = tapScript([['s2c', '220 outside\r\n'], ['c2s', 'NOOP\r\n'], ['s2c', '250 ok\r\n'], ['c2s', 'QUIT\r\n'], ['s2c', '221 bye\r\n']], { conn: 'a', point: 'outside', seq: 100 });
    for (let i = 0; i < Math.max(inside.length, outside.length); i++) store.ingestAll([inside[i], outside[i]].filter((e) => e !== undefined));
    for (const filter of [undefined, 'smtp.response', 'tcp.len > 0']) {
      for (const point of ['inside', 'outside']) {
        const q = { point, filter };
        const total = store.page({ point }).total;
        for (let no = 1; no <= total; no++) expect(located(store, q, no), `${point} ${filter} ${no}`).toEqual({ no, index: indexInList(store, q, no) });
      }
    }
    // The same number names another packet at each point, at its own index.
    const q = (point: string) => ({ point, filter: 'smtp.response' });
    const inside221 = store.page({ ...q('inside'), filter: 'smtp.response.code == 221' }).rows[0].no;
    const outside221 = store.page({ ...q('outside'), filter: 'smtp.response.code == 221' }).rows[0].no;
    expect(located(store, q('inside'), inside221)?.index).toBe(6);
    expect(located(store, q('outside'), outside221)?.index).toBe(2);
    // Without a point a frame number names no one packet.
    expect(() => store.page({ filter: 'smtp', locate: 1 })).toThrow(/locate needs a point/);
  });

  it('with decryption: a sealed command is found only in the decrypted view, and only with the keys', () => {
    const keys = deriveSessionKeys(FLAGS, randomSessionKey);
    const client = createSecurityLayer(keys, 'client');
    const store = new CaptureStore();
    store.ingestAll(tapScript([
      ...ntlmAuthTurns(),
      ['c2s', client.wrap(Buffer.from('MAIL FROM:<alice@intellinet.example>\r\n'))],
      ['c2s', client.wrap(Buffer.from('RCPT TO:<sean@ntsol.example>\r\n'))],
    ]));
    const sealed = store.page({ point: 'p1', filter: 'sasl' }).rows.map((r) => r.no);
    expect(sealed).toHaveLength(2);
    const [mail, rcpt] = sealed;
    const commands = { point: 'p1', filter: 'smtp.req.command' };
    // The eavesdropper's view: AUTH and the blob are commands, the sealed frames are not.
    expect(located(store, commands, rcpt)).toEqual({ no: rcpt, index: null });
    expect(located(store, { ...commands, decrypt: true }, rcpt)).toEqual({ no: rcpt, index: null });
    store.setKeys('c1', { tlsKeyLog: [], ntlm: keys });
    const opened = { ...commands, decrypt: true };
    expect(store.page({ ...opened, limit: 10 }).rows.map((r) => r.info)).toContain('C: MAIL FROM:<alice@intellinet.example>');
    expect(located(store, opened, mail)).toEqual({ no: mail, index: indexInList(store, opened, mail) });
    expect(located(store, opened, rcpt)).toEqual({ no: rcpt, index: indexInList(store, opened, rcpt) });
    expect(located(store, opened, rcpt)?.index).toBe(located(store, opened, mail)!.index! + 1);
    // Each read keeps its own choice: without decryption the same packet still does not match.
    expect(located(store, commands, rcpt)).toEqual({ no: rcpt, index: null });
  });
});
