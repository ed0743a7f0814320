import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import { createStage } from '../../../app/path/stages/index.ts';
import { drive, markRows } from '../harness.ts';
import type { Step } from '../harness.ts';

const inspect = (config: object = {}) => createChain([createStage('esmtp-inspect', config, { rng: createRng(1), conn: 'c1' })]);
const greeted: Step[] = [['s2c', '220 mx ready\r\n'], ['c2s', 'EHLO a.example\r\n']];
const ehloReply = (...keywords: string[]) =>
  ['250-mx.example', ...keywords].map((k, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${k}\r\n`).join('');

describe('esmtp-inspect: EHLO reply parameters (match ehlo-reply-parameter others: mask)', () => {
  test('known keywords pass; others are masked with Xs and a final A, keyword and parameters alike', () => {
    const out = drive(inspect(), [...greeted, ['s2c', ehloReply(
      'AUTH NTLM LOGIN', 'SIZE 10485760', '8BITMIME', 'DSN', 'ENHANCEDSTATUSCODES', 'PIPELINING',
      'CHUNKING', 'X-EXPS GSSAPI NTLM', 'STARTTLS',
    )]]);
    expect(out.s2c).toBe('220 mx ready\r\n' + ehloReply(
      'AUTH NTLM LOGIN', 'SIZE 10485760', '8BITMIME', 'DSN', 'ENHANCEDSTATUSCODES', 'PIPELINING',
      'XXXXXXXA', 'XXXXXXXXXXXXXXXXXA', 'XXXXXXXA',
    ));
  });

  test('allow-tls lets STARTTLS through, then the TLS bytes pass untouched', () => {
    const tls = '\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00';
    const out = drive(inspect({ allowTls: true }), [...greeted, ['s2c', ehloReply('STARTTLS')],
      ['c2s', 'STARTTLS\r\n'], ['s2c', '220 2.0.0 Ready to start TLS\r\n'], ['c2s', tls], ['s2c', tls]]);
    expect(out.s2c).toBe(`220 mx ready\r\n${ehloReply('STARTTLS')}220 2.0.0 Ready to start TLS\r\n${tls}`);
    expect(out.c2s).toBe(`EHLO a.example\r\nSTARTTLS\r\n${tls}`);
  });

  test('a client that sends STARTTLS anyway gets it overwritten with Xs (the server answers 500)', () => {
    expect(drive(inspect(), [...greeted, ['c2s', 'STARTTLS\r\nBDAT 10 LAST\r\n']]).c2s)
      .toBe('EHLO a.example\r\nXXXXXXXX\r\nXXXXXXXXXXXX\r\n');
  });
});

describe('esmtp-inspect: drop-connection rules', () => {
  test('a command line of 512 octets with its CRLF passes; 513 resets the connection', () => {
    const line = (n: number) => `RCPT TO:<${'a'.repeat(n - 'RCPT TO:<>\r\n'.length)}>\r\n`;
    expect(line(512)).toHaveLength(512);
    expect(drive(inspect(), [...greeted, ['c2s', line(512)]]).close).toBeUndefined();
    const out = drive(inspect(), [...greeted, ['c2s', line(513)]]);
    expect(out.c2s).toBe('EHLO a.example\r\n');
    expect(out.close).toEqual({ type: 'close', how: 'reset', reason: expect.stringContaining('512') });
    expect(markRows(out)).toEqual([['c2s', 'esmtp-inspect', 'dropped', line(513)]]);
  });

  test('an endless line is dropped without waiting for its CRLF', () => {
    const f = inspect();
    f.push('c2s', Buffer.from('EHLO a.example\r\n'));
    const out = f.push('c2s', Buffer.from(`NOOP ${'x'.repeat(600)}`));
    expect(out.at(-1)).toMatchObject({ type: 'close', how: 'reset' });
  });

  test('100 RCPTs pass; the 101st resets; a new transaction counts again', () => {
    const rcpts = (n: number): Step[] => Array.from({ length: n }, (_, i) => [['c2s', `RCPT TO:<u${i}@b.example>\r\n`], ['s2c', '250 ok\r\n']] as Step[]).flat();
    const ok = drive(inspect(), [...greeted, ['c2s', 'MAIL FROM:<a@a>\r\n'], ...rcpts(100), ['c2s', 'RSET\r\n'], ['s2c', '250 ok\r\n'],
      ['c2s', 'MAIL FROM:<a@a>\r\n'], ...rcpts(100)]);
    expect(ok.close).toBeUndefined();
    const out = drive(inspect(), [...greeted, ['c2s', 'MAIL FROM:<a@a>\r\n'], ...rcpts(101)]);
    expect(out.close?.reason).toContain('100 RCPT');
    expect(out.c2s).not.toContain('u100@');
  });

  test('a header line over 998 characters resets; a long body line only passes (log)', () => {
    const data: Step[] = [...greeted, ['s2c', '250 mx.example\r\n'], ['c2s', 'MAIL FROM:<a@a>\r\nRCPT TO:<b@b>\r\nDATA\r\n'], ['s2c', '250 ok\r\n250 ok\r\n354 go\r\n']];
    const header = (n: number) => `X-Long: ${'h'.repeat(n - 8)}\r\n`;
    expect(drive(inspect(), [...data, ['c2s', `${header(998)}\r\n${'b'.repeat(3000)}\r\n.\r\n`]]).close).toBeUndefined();
    const out = drive(inspect(), [...data, ['c2s', `Subject: x\r\n${header(999)}\r\nbody\r\n.\r\n`]]);
    expect(out.close?.reason).toContain('998');
    expect(out.c2s.endsWith('DATA\r\nSubject: x\r\n')).toBe(true);
  });
});

describe('esmtp-inspect after AUTH (reconstructed: it breaks the NTLM seal layer)', () => {
  const authed: Step[] = [
    ...greeted, ['s2c', ehloReply('AUTH NTLM')], ['c2s', 'AUTH NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=\r\n'],
    ['s2c', '334 TlRMTVNTUAACAAAA\r\n'], ['c2s', `${'QUFB'.repeat(200)}\r\n`], ['s2c', '235 2.7.0 Authentication successful\r\n'],
  ];

  test('the AUTH exchange itself passes, a response line over 512 octets included', () => {
    const out = drive(inspect(), authed);
    expect(out.close).toBeUndefined();
    expect(out.c2s).toContain(`${'QUFB'.repeat(200)}\r\n`);
  });

  test('sealed frames (binary) are masked with Xs, CR and LF kept, in both directions', () => {
    const frame = '\x00\x00\x00\x10\x8a\x01\xffk\r\n\x02\x03abc\x7f';
    const out = drive(inspect(), [...authed, ['c2s', frame], ['s2c', frame]]);
    expect(out.c2s.endsWith('XXXXXXXX\r\nXXXXXX')).toBe(true);
    expect(out.s2c.endsWith('XXXXXXXX\r\nXXXXXX')).toBe(true);
  });

  test('an unsealed session (swaks) keeps working: command lines still pass', () => {
    const out = drive(inspect(), [...authed, ['c2s', 'MAIL FROM:<a@a.example>\r\n'], ['s2c', '250 2.1.0 ok\r\n']]);
    expect(out.c2s.endsWith('MAIL FROM:<a@a.example>\r\n')).toBe(true);
    expect(out.s2c.endsWith('250 2.1.0 ok\r\n')).toBe(true);
  });

  test('before AUTH, binary bytes are not touched', () => {
    const out = drive(inspect(), [...greeted, ['c2s', '\x00\x01\x02\r\n']]);
    expect(out.c2s).toBe('EHLO a.example\r\n\x00\x01\x02\r\n');
  });
});

describe("esmtp-inspect: Cisco's fifteen commands (ASA CLI Configuration Guide, SMTP and Extended SMTP Inspection)", () => {
  test.each([
    ['HELP\r\n', 'HELP\r\n'],
    ['HELP MAIL\r\n', 'HELP MAIL\r\n'],
    ['ETRN example.net\r\n', 'ETRN example.net\r\n'],
    ['VRFY sean\r\n', 'VRFY sean\r\n'],
    ['SAML FROM:<a@a>\r\n', 'SAML FROM:<a@a>\r\n'],
    ['SEND FROM:<a@a>\r\n', 'SEND FROM:<a@a>\r\n'],
    ['SOML FROM:<a@a>\r\n', 'SOML FROM:<a@a>\r\n'],
    ['NOOP\r\n', 'NOOP\r\n'],
    // Not in the list: "translated into Xs, which are rejected by the internal server".
    ['ATRN\r\n', 'XXXX\r\n'],
    ['ONEX\r\n', 'XXXX\r\n'],
    ['VERB\r\n', 'XXXX\r\n'],
    ['EXPN staff\r\n', 'XXXXXXXXXX\r\n'],
    ['XEXCH50 1234 2\r\n', 'XXXXXXXXXXXXXX\r\n'],
    ['X-LINK2STATE LAST CHUNK=1\r\n', 'XXXXXXXXXXXXXXXXXXXXXXXXX\r\n'],
    // In the list, but removed by the default map's `no allow-tls`.
    ['STARTTLS\r\n', 'XXXXXXXX\r\n'],
  ])('%j reaches the server as %j', (line, server) => {
    const out = drive(inspect(), [...greeted, ['c2s', line]]);
    expect(out.c2s).toBe(`EHLO a.example\r\n${server}`);
    expect(markRows(out)).toEqual(line === server ? [] : [['c2s', 'esmtp-inspect', 'changed', line]]);
  });
});

describe('esmtp-inspect: a command must arrive whole, in one segment (Cisco tech note 113423)', () => {
  const note = (out: ReturnType<typeof drive>) => out.marks.map((m) => m.note);

  test('a telnet user\'s keystrokes, one per segment: each becomes an X, and the server reads XXXX', () => {
    const out = drive(inspect(), [...greeted, ['c2s', 'HELO x\r\n']], [0, 0, 1]);
    expect(out.c2s).toBe('EHLO a.example\r\nXXXXXX\r\n');
    // One mark per keystroke overwritten; the line end passes as it came.
    expect(markRows(out)).toEqual([...'HELO x'].map((k) => ['c2s', 'esmtp-inspect', 'changed', k]));
    expect(new Set(note(out))).toEqual(new Set([expect.stringMatching(/^command not whole in one segment: overwritten with Xs/)]));
  });

  test('a typist\'s backspace is a keystroke like the others: overwritten, and the rest of the line too', () => {
    const keys = ['H', 'E', '\b', 'E', 'L', 'O', ' ', 'x', '\r\n'];
    const out = drive(inspect(), [...greeted, ...keys.map((k): Step => ['c2s', k])]);
    expect(out.c2s).toBe('EHLO a.example\r\nXXXXXXXX\r\n');
  });

  test('each overwritten keystroke goes on at once, as the ASA forwards the packet it changed', () => {
    const f = inspect();
    f.push('s2c', Buffer.from('220 mx ready\r\n'));
    const out = f.push('c2s', Buffer.from('H'));
    expect(out).toMatchObject([{ type: 'deliver', dir: 'c2s', bytes: Buffer.from('X') }]);
  });

  test('the server\'s answer to the Xs is read as the answer to that line: the next whole command is judged as usual', () => {
    const out = drive(inspect(), [
      ['s2c', '220 mx ready\r\n'], ['c2s', 'E'], ['c2s', 'HLO a.example\r\n'], ['s2c', '500 5.3.3 Unrecognized command\r\n'],
      ['c2s', 'HELO a.example\r\n'], ['s2c', '250 mx.example\r\n'], ['c2s', 'VERB\r\n'],
    ]);
    expect(out.c2s).toBe('XXXXXXXXXXXXXX\r\nHELO a.example\r\nXXXX\r\n');
    expect(note(out).at(-1)).toBe('VERB is not an inspected ESMTP command: overwritten with Xs');
  });

  test('a whole line per segment passes, several lines in one segment too (pipelined)', () => {
    const out = drive(inspect(), [...greeted, ['s2c', '250 mx.example\r\n'], ['c2s', 'MAIL FROM:<a@a>\r\nRCPT TO:<b@b>\r\nDATA\r\n']]);
    expect(out.c2s).toBe('EHLO a.example\r\nMAIL FROM:<a@a>\r\nRCPT TO:<b@b>\r\nDATA\r\n');
    expect(out.marks).toEqual([]);
  });

  test('content is not judged by segment: a message typed a byte at a time after 354 arrives as typed', () => {
    const body = 'Subject: hi\r\n\r\ntyped by hand\r\n.\r\n';
    const out = drive(inspect(), [...greeted, ['s2c', '250 mx.example\r\n'], ['c2s', 'DATA\r\n'], ['s2c', '354 go\r\n'], ['c2s', body]], [0, 0, 0, 0, 0, 1]);
    expect(out.c2s).toBe(`EHLO a.example\r\nDATA\r\n${body}`);
    expect(out.marks).toEqual([]);
  });

  test('a sealed frame after AUTH is not judged by segment: the AUTH rule decides it', () => {
    const frame = '\x00\x00\x00\x10sealed-bytes-xx';
    const out = drive(inspect(), [
      ...greeted, ['s2c', ehloReply('AUTH NTLM')], ['c2s', 'AUTH NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=\r\n'],
      ['s2c', '334 TlRMTVNTUAACAAAA\r\n'], ['c2s', `${'QUFB'.repeat(20)}\r\n`], ['s2c', '235 2.7.0 Authentication successful\r\n'],
      ['c2s', frame.slice(0, 5)], ['c2s', frame.slice(5)],
    ]);
    expect(note(out)).toContain('not an SMTP line after AUTH: masked');
    expect(note(out).some((n) => n?.startsWith('command not whole in one segment'))).toBe(false);
  });
});

/** The step is message content: a 354 came before it. */
const isContent = (steps: readonly Step[], i: number) => steps.slice(0, i).some(([dir, text]) => dir === 's2c' && text.includes('354 '));

describe('esmtp-inspect: the default map limits, each acted on as its match action says', () => {
  const mail = (address: string) => `MAIL FROM:<${address}>\r\n`;
  const sender = (n: number) => `${'s'.repeat(n - '@a.example'.length)}@a.example`;
  const message = (filename: string) => [
    'Subject: files', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: application/pdf;', ` name="${filename}"`, 'Content-Disposition: attachment;', ` filename="${filename}"`, '',
    'JVBERi0=', '--b--', '.', '',
  ].join('\r\n');
  const inData: Step[] = [...greeted, ['s2c', '250 mx.example\r\n'], ['c2s', 'MAIL FROM:<a@a>\r\nRCPT TO:<b@b>\r\nDATA\r\n'], ['s2c', '250 ok\r\n250 ok\r\n354 go\r\n']];
  const rcptLine = (n: number) => `RCPT TO:<${'a'.repeat(n - 'RCPT TO:<>\r\n'.length)}>\r\n`;

  test.each([
    // [what, config, steps, dropped?, lines logged]
    ['sender address of 320 octets', {}, [...greeted, ['c2s', mail(sender(320))]], false, 0],
    ['sender address of 321 octets', {}, [...greeted, ['c2s', mail(sender(321))]], true, 0],
    ['sender address of 321 octets, action log', { senderAddressAction: 'log' }, [...greeted, ['c2s', mail(sender(321))]], false, 1],
    ['sender address of 321 octets, action reset', { senderAddressAction: 'reset' }, [...greeted, ['c2s', mail(sender(321))]], true, 0],
    ['sender address over a configured 64', { maxSenderAddress: 64 }, [...greeted, ['c2s', mail(sender(65))]], true, 0],
    ['MIME file name of 255 characters', {}, [...inData, ['c2s', message(`${'f'.repeat(251)}.pdf`)]], false, 0],
    ['MIME file name of 256 characters', {}, [...inData, ['c2s', message(`${'f'.repeat(252)}.pdf`)]], true, 0],
    // Both the Content-Type `name=` and the Content-Disposition `filename=` line are logged.
    ['MIME file name of 256 characters, action log', { mimeFilenameAction: 'log' }, [...inData, ['c2s', message(`${'f'.repeat(252)}.pdf`)]], false, 2],
    ['command line of 513 octets, action log', { commandLineAction: 'log' }, [...greeted, ['c2s', rcptLine(513)]], false, 1],
    ['command line of 513 octets, action reset', { commandLineAction: 'reset' }, [...greeted, ['c2s', rcptLine(513)]], true, 0],
  ] as [string, object, Step[], boolean, number][])('%s', (_what, config, steps, isDropped, logs) => {
    // Whole, and with the server's replies and the message content a byte per segment (the client's
    // commands must come whole: they are overwritten otherwise, above).
    const byteWise = steps.map(([dir], i) => (dir === 's2c' || isContent(steps, i) ? 1 : 0));
    for (const split of [0, byteWise]) {
      const out = drive(inspect(config), steps, split);
      const actions = markRows(out).map((r) => r[2]);
      if (isDropped) {
        expect(out.close).toMatchObject({ type: 'close', how: 'reset' });
        expect(actions).toContain('dropped');
      } else {
        expect(out.close).toBeUndefined();
        // Nothing changed: every byte the client sent reaches the server.
        expect(out.c2s).toBe(steps.filter(([d]) => d === 'c2s').map(([, t]) => t).join(''));
        expect(actions).toEqual(Array(logs).fill('logged'));
      }
    }
  });

  test('a dropped MIME part never reaches the server: the message stops at the header that named the file', () => {
    const out = drive(inspect(), [...inData, ['c2s', message(`${'f'.repeat(300)}.pdf`)]]);
    expect(out.c2s.endsWith('Content-Type: application/pdf;\r\n')).toBe(true);
    expect(out.close?.reason).toBe('esmtp-inspect: MIME file name longer than 255 characters (drop-connection)');
  });

  test('a long name= in body text that is not a MIME header is not a file name', () => {
    const out = drive(inspect(), [...inData, ['c2s', `Subject: x\r\n\r\nname="${'n'.repeat(400)}"\r\n.\r\n`]]);
    expect(out.close).toBeUndefined();
  });
});
