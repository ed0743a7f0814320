import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import type { PipelineOutput } from '../../../app/path/pipeline.ts';
import { createStage } from '../../../app/path/stages/index.ts';
import { drive, markRows } from '../harness.ts';

const one = (name: string, config: object, now?: () => number) =>
  createChain([createStage(name, config, { rng: createRng(5), conn: 'c1', now })]);
const summary = (outs: PipelineOutput[]) =>
  outs.map((o) => (o.type === 'deliver' ? [o.dir, o.bytes.toString(), o.delayMs ?? 0] : [o.type, o.how]));

describe('latency', () => {
  test('delays only the chosen direction', () => {
    const p = one('latency', { ms: 250, dir: 's2c' });
    expect(summary(p.push('c2s', Buffer.from('a')))).toEqual([['c2s', 'a', 0]]);
    expect(summary(p.push('s2c', Buffer.from('b')))).toEqual([['s2c', 'b', 250]]);
  });
});

describe('bandwidth', () => {
  test('chunks queue behind each other on the link, measured on the proxy\'s clock', () => {
    let t = 0;
    const p = one('bandwidth', { bytesPerSecond: 1000 }, () => t);
    expect(p.push('c2s', Buffer.alloc(500))[0].delayMs).toBe(500);
    expect(p.push('c2s', Buffer.alloc(500))[0].delayMs).toBe(1000);
    expect(p.push('s2c', Buffer.alloc(100))[0].delayMs).toBe(100); // the other direction has its own link
    t = 5000;
    expect(p.push('c2s', Buffer.alloc(100))[0].delayMs).toBe(100); // the link was idle again
  });

  test('without a clock each chunk waits its own transmission time', () => {
    const p = one('bandwidth', { bytesPerSecond: 2000 });
    expect(p.push('c2s', Buffer.alloc(1000))[0].delayMs).toBe(500);
    expect(p.push('c2s', Buffer.alloc(1000))[0].delayMs).toBe(500);
  });
});

describe('slicer', () => {
  test('one byte per segment by default', () => {
    expect(summary(one('slicer', {}).push('c2s', Buffer.from('QUIT')))).toEqual([['c2s', 'Q', 0], ['c2s', 'U', 0], ['c2s', 'I', 0], ['c2s', 'T', 0]]);
  });

  test('size and delay between segments', () => {
    expect(summary(one('slicer', { size: 3, delayMs: 10 }).push('s2c', Buffer.from('250 OK\r\n'))))
      .toEqual([['s2c', '250', 0], ['s2c', ' OK', 10], ['s2c', '\r\n', 20]]);
  });

  test('variation is drawn from the seed: same seed, same cuts; bytes never change', () => {
    const cuts = () => one('slicer', { size: 4, variation: 3 }).push('c2s', Buffer.from('x'.repeat(200)))
      .map((o) => (o.type === 'deliver' ? o.bytes.length : 0));
    expect(cuts()).toEqual(cuts());
    expect(cuts().reduce((a, b) => a + b, 0)).toBe(200);
    expect(new Set(cuts()).size).toBeGreaterThan(1);
  });
});

describe('reset', () => {
  test('after N bytes: the first N go on, the rest is recorded as lost, then a reset', () => {
    const out = drive(one('reset', { after: 10 }), [['s2c', '220 mx ready\r\n'], ['c2s', 'EHLO a\r\n'], ['c2s', 'MAIL FROM:<a@b>\r\n']]);
    expect(out.c2s).toBe('EHLO a\r\nMA'); // 8 + 2 bytes
    expect(out.s2c).toBe('220 mx ready\r\n');
    expect(markRows(out)).toEqual([['c2s', 'reset', 'dropped', 'IL FROM:<a@b>\r\n']]);
    expect(out.close).toMatchObject({ how: 'reset' });
  });

  test('from: data resets mid-DATA, after N bytes of content, before the final dot', () => {
    const out = drive(one('reset', { from: 'data', after: 12 }), [
      ['s2c', '220 mx\r\n'], ['c2s', 'HELO a\r\n'], ['s2c', '250 mx\r\n'], ['c2s', 'MAIL FROM:<a@b>\r\n'], ['s2c', '250 ok\r\n'],
      ['c2s', 'RCPT TO:<c@d>\r\n'], ['s2c', '250 ok\r\n'], ['c2s', 'DATA\r\n'], ['s2c', '354 go\r\n'],
      ['c2s', 'Subject: hello\r\n\r\nbody\r\n.\r\n'],
    ]);
    expect(out.c2s).toBe('HELO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: hel'); // 9 + 3 bytes
    expect(out.close).toMatchObject({ how: 'reset', reason: expect.stringContaining('message content') });
  });
});

describe('drop and block', () => {
  test('drop swallows one direction and records every swallowed byte', () => {
    const out = drive(one('drop', { dir: 'c2s' }), [['s2c', '220 mx\r\n'], ['c2s', 'EHLO a\r\n'], ['c2s', 'QUIT\r\n']]);
    expect(out.c2s).toBe('');
    expect(out.s2c).toBe('220 mx\r\n');
    expect(markRows(out)).toEqual([['c2s', 'drop', 'dropped', 'EHLO a\r\n'], ['c2s', 'drop', 'dropped', 'QUIT\r\n']]);
  });

  test('block refuses at open', () => {
    expect(summary(one('block', {}).open())).toEqual([['close', 'reset']]);
  });
});
