import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import { createStage } from '../../../app/path/stages/index.ts';
import { drive, markRows } from '../harness.ts';
import type { Step } from '../harness.ts';

const filter = (config: object = {}) => createChain([createStage('command-filter', config, { rng: createRng(1), conn: 'c1' })]);
const greeted: Step[] = [['s2c', '220 mx ready\r\n'], ['c2s', 'HELO a.example\r\n'], ['s2c', '250 mx\r\n']];
const envelope: Step[] = [
  ['c2s', 'MAIL FROM:<a@a.example>\r\n'], ['s2c', '250 ok\r\n'], ['c2s', 'RCPT TO:<b@mx.example>\r\n'], ['s2c', '250 ok\r\n'],
];

describe('command-filter (Mailguard)', () => {
  test('commands are case-insensitive (RFC 5321 §2.4): lower-case mail passes', () => {
    expect(drive(filter(), [...greeted, ['c2s', 'mail from:<a@a.example>\r\n']]).c2s).toBe('HELO a.example\r\nmail from:<a@a.example>\r\n');
  });

  test('AUTH, STARTTLS and unknown verbs become NOOP and spaces of the same length', () => {
    const out = drive(filter(), [['c2s', 'AUTH NTLM\r\nSTARTTLS\r\nKILL\r\n']]);
    expect(out.c2s).toBe('NOOP     \r\nNOOP    \r\nNOOP\r\n');
  });

  test('a denied line too short for NOOP is overwritten with Xs; an empty line passes', () => {
    expect(drive(filter(), [['c2s', 'XY\r\n\r\n']]).c2s).toBe('XX\r\n\r\n');
  });

  test('message content passes untouched, commands inside it included, until the final dot', () => {
    const content = 'Subject: hi\r\n\r\nVRFY root\r\nSTARTTLS\r\n.\r\n';
    const out = drive(filter(), [...greeted, ...envelope, ['c2s', 'DATA\r\n'], ['s2c', '354 go\r\n'], ['c2s', content],
      ['s2c', '250 queued\r\n'], ['c2s', 'VRFY root\r\n']]);
    expect(out.c2s).toBe(`HELO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n${content}NOOP     \r\n`);
    expect(markRows(out)).toEqual([['c2s', 'command-filter', 'changed', 'VRFY root\r\n']]);
  });

  test('lines sent before the 354 wait for it, then pass as content', () => {
    const f = filter();
    const before = [...greeted, ...envelope, ['c2s', 'DATA\r\nVRFY this is content\r\n'] as const]
      .flatMap(([dir, text]) => f.push(dir, Buffer.from(text)));
    const lastToServer = before.filter((o) => o.type === 'deliver' && o.dir === 'c2s').at(-1);
    expect(lastToServer?.type === 'deliver' && lastToServer.bytes.toString()).toBe('DATA\r\n'); // the content line is held
    const after = f.push('s2c', Buffer.from('354 go\r\n'));
    expect(after.map((o) => (o.type === 'deliver' ? [o.dir, o.bytes.toString()] : o.type)))
      .toEqual([['s2c', '354 go\r\n'], ['c2s', 'VRFY this is content\r\n']]);
  });

  test('when DATA is refused, the held lines are commands after all', () => {
    const out = drive(filter(), [...greeted, ['c2s', 'DATA\r\nVRFY x\r\n'], ['s2c', '503 need RCPT\r\n']]);
    expect(out.c2s).toBe('HELO a.example\r\nDATA\r\nNOOP  \r\n');
  });

  test('a dot that is not alone on its line does not end the content', () => {
    const out = drive(filter(), [...greeted, ...envelope, ['c2s', 'DATA\r\n'], ['s2c', '354 go\r\n'],
      ['c2s', 'a\r\n.x\r\n..\r\nKILL\r\n.\r\nKILL\r\n']]);
    expect(out.c2s.endsWith('DATA\r\na\r\n.x\r\n..\r\nKILL\r\n.\r\nNOOP\r\n')).toBe(true);
  });

  test('pix-4.4 style overwrites with Xs of the same length', () => {
    expect(drive(filter({ style: 'x' }), [['c2s', 'EHLO a\r\n']]).c2s).toBe('XXXXXX\r\n');
  });

  test('a line longer than the buffer is judged by its start and overwritten piece by piece', () => {
    const long = `XEXCH50 ${'9'.repeat(5000)}\r\n`;
    const out = drive(filter(), [['c2s', long]], 7);
    expect(out.c2s).toBe(`NOOP${' '.repeat(long.length - 6)}\r\n`);
  });
});
