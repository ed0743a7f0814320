import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import { createStage } from '../../../app/path/stages/index.ts';
import { drive } from '../harness.ts';
import type { Step } from '../harness.ts';

const strip = (config: object = {}) => createChain([createStage('strip-starttls', config, { rng: createRng(1), conn: 'c1' })]);
const greeted: Step[] = [['s2c', '220 mx ready\r\n'], ['c2s', 'EHLO a.example\r\n']];

describe('strip-starttls', () => {
  test('a STARTTLS line in the middle of the reply is deleted', () => {
    const out = drive(strip(), [...greeted, ['s2c', '250-mx\r\n250-STARTTLS\r\n250 SIZE 1000\r\n']]);
    expect(out.s2c).toBe('220 mx ready\r\n250-mx\r\n250 SIZE 1000\r\n');
  });

  test('when STARTTLS was the only extension, the greeting line becomes the last line', () => {
    const out = drive(strip(), [...greeted, ['s2c', '250-mx\r\n250 starttls\r\n']]);
    expect(out.s2c).toBe('220 mx ready\r\n250 mx\r\n');
  });

  test('a HELO reply, or a 250 that merely mentions STARTTLS, is left alone', () => {
    const out = drive(strip(), [['s2c', '220 mx ready\r\n'], ['c2s', 'HELO a\r\n'], ['s2c', '250-mx\r\n250 STARTTLS\r\n'],
      ['c2s', 'NOOP\r\n'], ['s2c', '250 STARTTLS is nice\r\n']]);
    expect(out.s2c).toBe('220 mx ready\r\n250-mx\r\n250 STARTTLS\r\n250 STARTTLS is nice\r\n');
  });

  test('the 454 answer waits for the replies of commands pipelined before STARTTLS', () => {
    const s = strip();
    const first = s.push('c2s', Buffer.from('EHLO a\r\nNOOP\r\nSTARTTLS\r\n'));
    expect(first.map((o) => o.type === 'deliver' && [o.dir, o.bytes.toString()]).filter((x) => x && x[1] !== ''))
      .toEqual([['c2s', 'EHLO a\r\nNOOP\r\n']]);
    const replies = s.push('s2c', Buffer.from('220 mx\r\n250 mx\r\n250 2.0.0 OK\r\n'));
    const text = replies.flatMap((o) => (o.type === 'deliver' && o.dir === 's2c' ? [o.bytes.toString()] : [])).join('');
    expect(text).toBe('220 mx\r\n250 mx\r\n250 2.0.0 OK\r\n454 4.7.0 TLS not available\r\n');
  });

  test('with answer: false the command goes to the server; the reply text is configurable', () => {
    expect(drive(strip({ answer: false }), [...greeted, ['c2s', 'STARTTLS\r\n']]).c2s).toBe('EHLO a.example\r\nSTARTTLS\r\n');
    expect(drive(strip({ reply: '502 5.5.1 Not implemented' }), [...greeted, ['s2c', '250 mx\r\n'], ['c2s', 'STARTTLS\r\n']]).s2c)
      .toBe('220 mx ready\r\n250 mx\r\n502 5.5.1 Not implemented\r\n');
  });
});
