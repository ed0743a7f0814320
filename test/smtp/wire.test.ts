import { describe, expect, it } from 'vitest';
import {
  ReplyParser, SmtpWire, dotStuff, ehloExtensions, endsData, endsWithCrlf, enhancedStatus, lineText, parseAuth,
  parseBdat, parseCommand, parseReplyLine, replyText, unstuff,
} from '../../app/smtp/wire.ts';
import type { Reply, WirePhase } from '../../app/smtp/wire.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('reply grammar (RFC 5321 §4.2)', () => {
  it.each([
    ['250 OK\r\n', { code: 250, final: true, text: 'OK' }],
    ['250-mail.example Hello\r\n', { code: 250, final: false, text: 'mail.example Hello' }],
    ['250\r\n', { code: 250, final: true, text: '' }],
    ['250-\n', { code: 250, final: false, text: '' }],
    ['250 \r\n', { code: 250, final: true, text: '' }],
    ['354 End data with <CR><LF>.<CR><LF>', { code: 354, final: true, text: 'End data with <CR><LF>.<CR><LF>' }],
    ['699 unknown but three digits\r\n', { code: 699, final: true, text: 'unknown but three digits' }],
    ['250OK\r\n', undefined],
    ['25 OK\r\n', undefined],
    ['***-***\r\n', undefined],
    ['\r\n', undefined],
    [' 250 OK\r\n', undefined],
  ])('%j', (line, want) => {
    expect(parseReplyLine(line)).toEqual(want);
    expect(parseReplyLine(b(line))).toEqual(want);
  });

  it.each([
    ['5.7.1 Relaying denied', '5.7.1'],
    ['2.0.0', '2.0.0'],
    ['4.4.2\tTimeout', '4.4.2'],
    ['5.123.456 long subject and detail', '5.123.456'],
    ['3.0.0 not a class', undefined],
    ['5.7.1234 detail too long', undefined],
    ['5.7.1x', undefined],
    ['Relaying denied 5.7.1', undefined],
  ])('enhanced status of %j (RFC 3463 §2)', (text, want) => {
    expect(enhancedStatus(text)).toBe(want);
  });

  it('assembles multi-line replies across any chunking, with status and raw text', () => {
    const bytes = b('220 mx ready\r\n250-mail.ntsol.example Hello\r\n250-SIZE 1000\r\n250 8BITMIME\r\n535 5.7.3 Authentication unsuccessful\r\n');
    for (const size of [1, 3, bytes.length]) {
      const p = new ReplyParser();
      const got: Reply[] = [];
      for (let i = 0; i < bytes.length; i += size) {
        const step = p.push(bytes.subarray(i, i + size));
        expect(step.error).toBeUndefined();
        got.push(...step.replies);
      }
      expect(got.map((r) => [r.code, r.lines.length, r.status])).toEqual([[220, 1, undefined], [250, 3, undefined], [535, 1, '5.7.3']]);
      expect(got[1].raw).toBe('250-mail.ntsol.example Hello\r\n250-SIZE 1000\r\n250 8BITMIME');
      expect(replyText(got[2])).toBe('535 5.7.3 Authentication unsuccessful');
      expect([...ehloExtensions(got[1])]).toEqual([['SIZE', '1000'], ['8BITMIME', '']]);
    }
  });

  it.each([
    ['***-***\r\n', /malformed reply line: "\*\*\*-\*\*\*"/],
    ['250ok\r\n', /malformed reply line/],
    ['250-a\r\n354 b\r\n', /reply code changed inside a multi-line reply: 250 then 354/],
    [`250 ${'x'.repeat(9000)}`, /reply line too long/],
  ])('refuses %j', (text, error) => {
    expect(new ReplyParser().push(b(text)).error).toMatch(error);
  });

  it('forgets a partial reply on reset (RFC 3207 §4.2)', () => {
    const p = new ReplyParser();
    p.push(b('250-first\r\n250-sec'));
    expect(p.partial).toBe('250-sec');
    p.reset();
    expect(p.partial).toBe('');
    expect(p.push(b('220 after\r\n')).replies.map((r) => r.lines)).toEqual([['after']]);
  });
});

describe('command grammar (RFC 5321 §4.1)', () => {
  it.each([
    ['MAIL FROM:<a@b.example> SIZE=10\r\n', { verb: 'MAIL', word: 'MAIL', args: 'FROM:<a@b.example> SIZE=10' }],
    ['ehlo client.example\r\n', { verb: 'EHLO', word: 'ehlo', args: 'client.example' }],
    ['QUIT\r\n', { verb: 'QUIT', word: 'QUIT', args: '' }],
    ['RCPT\tTO:<c@d>\n', { verb: 'RCPT', word: 'RCPT', args: 'TO:<c@d>' }],
    ['NOOP  two spaces', { verb: 'NOOP', word: 'NOOP', args: ' two spaces' }],
    ['\r\n', { verb: '', word: '', args: '' }],
  ])('%j', (line, want) => {
    expect(parseCommand(line)).toEqual(want);
    expect(parseCommand(b(line))).toEqual(want);
  });

  it.each([
    ['1000', { size: 1000, last: false }],
    ['0 LAST', { size: 0, last: true }],
    ['42 last ', { size: 42, last: true }],
    ['42 FIRST', undefined],
    ['-1', undefined],
    ['', undefined],
    ['1234567890123456', undefined],
  ])('BDAT %j (RFC 3030 §2)', (args, want) => {
    expect(parseBdat(args)).toEqual(want);
  });

  it.each([
    ['PLAIN AGFsaWNlAHMzY3JldA==', { mechanism: 'PLAIN', initial: 'AGFsaWNlAHMzY3JldA==' }],
    ['login', { mechanism: 'LOGIN' }],
    ['NTLM =', { mechanism: 'NTLM', initial: '=' }],
  ])('AUTH %j (RFC 4954 §4)', (args, want) => {
    expect(parseAuth(args)).toEqual(want);
  });
});

describe('DATA content (RFC 5321 §4.1.1.4, §4.5.2)', () => {
  it.each([
    ['.\r\n', true, true],
    ['.\r\n', false, false],
    ['.\n', true, false],
    ['..\r\n', true, false],
    ['. \r\n', true, false],
  ])('%j after CRLF %s ends the data: %s', (line, afterCrlf, want) => {
    expect(endsData(b(line), afterCrlf)).toBe(want);
  });

  it('undoes and does dot-stuffing', () => {
    expect(unstuff(b('..leading\r\n')).toString()).toBe('.leading\r\n');
    expect(unstuff(b('plain\r\n')).toString()).toBe('plain\r\n');
    expect(endsWithCrlf(b('x\r\n'))).toBe(true);
    expect(endsWithCrlf(b('x\n'))).toBe(false);
    expect(dotStuff(b('a\n.\n..b')).toString()).toBe('a\r\n..\r\n...b\r\n.\r\n');
    expect(lineText('250 ok\r\n')).toBe('250 ok');
    expect(lineText(b('250 ok\n'))).toBe('250 ok');
  });
});

/**
 * A session as a table: `C:` a client line, `S:` a reply line, `.` the end of content, `B:n` n
 * BDAT octets; each row expects the phase after it and, for a reply line, the command it answers.
 */
type Row = [event: string, phase: WirePhase, answers?: string];

function drive(rows: Row[], wire = new SmtpWire()): SmtpWire {
  for (const [event, phase, answers] of rows) {
    if (event.startsWith('C: ')) wire.command(b(`${event.slice(3)}\r\n`));
    else if (event.startsWith('S: ')) expect(wire.reply(b(`${event.slice(3)}\r\n`))?.to, event).toBe(answers);
    else if (event === '.') wire.contentEnd();
    else if (event.startsWith('B:')) wire.bdatBytes(Number(event.slice(2)));
    else throw new Error(`bad row ${event}`);
    expect(wire.phase, event).toBe(phase);
  }
  return wire;
}

describe('SmtpWire: phases and pipelined command/reply matching', () => {
  it('matches pipelined replies in order (RFC 2920 §3) and enters content at 354', () => {
    drive([
      ['S: 220 mx ready', 'command', 'GREETING'],
      ['C: EHLO a.example', 'command'],
      ['S: 250-mx', 'command', 'EHLO'],
      ['S: 250 PIPELINING', 'command', 'EHLO'],
      ['C: MAIL FROM:<a@a.example>', 'command'],
      ['C: RCPT TO:<b@b.example>', 'command'],
      ['C: DATA', 'data-wait'],
      ['S: 250 ok', 'data-wait', 'MAIL'],
      ['S: 250 ok', 'data-wait', 'RCPT'],
      ['S: 354 go', 'content', 'DATA'],
      ['.', 'command'],
      ['C: QUIT', 'command'],
      ['S: 250 2.0.0 queued', 'command', 'DATA-END'],
      ['S: 221 bye', 'command', 'QUIT'],
    ]);
  });

  it('stays in commands when DATA is refused', () => {
    drive([
      ['S: 220 hi', 'command', 'GREETING'],
      ['C: DATA', 'data-wait'],
      ['S: 503 5.5.1 Need MAIL', 'command', 'DATA'],
    ]);
  });

  it('reads AUTH continuation lines until a reply other than 334 (RFC 4954 §4)', () => {
    const wire = drive([
      ['S: 220 hi', 'command', 'GREETING'],
      ['C: AUTH LOGIN', 'auth'],
      ['S: 334 VXNlcm5hbWU6', 'auth', 'AUTH'],
      ['C: Ym9i', 'auth'],
      ['S: 334 UGFzc3dvcmQ6', 'auth', 'AUTH'],
      ['C: aHVudGVyMg==', 'auth'],
      ['S: 235 2.7.0 ok', 'command', 'AUTH'],
    ]);
    expect(wire.authenticated).toBe(true);
    const refused = drive([['S: 220 hi', 'command', 'GREETING'], ['C: AUTH PLAIN AGE=', 'auth'], ['S: 535 5.7.8 no', 'command', 'AUTH']]);
    expect(refused.authenticated).toBe(false);
  });

  it('classifies lines in the AUTH phase as responses, not commands', () => {
    const wire = new SmtpWire();
    expect(wire.command(b('AUTH LOGIN\r\n'))).toMatchObject({ kind: 'command', verb: 'AUTH', args: 'LOGIN' });
    expect(wire.command(b('MAIL FROM:<x>\r\n'))).toEqual({ kind: 'auth-response', text: 'MAIL FROM:<x>' });
  });

  it('enters TLS only on 220 to STARTTLS (RFC 3207 §4)', () => {
    drive([['S: 220 hi', 'command', 'GREETING'], ['C: STARTTLS', 'command'], ['S: 454 4.7.0 not now', 'command', 'STARTTLS']]);
    drive([['S: 220 hi', 'command', 'GREETING'], ['C: STARTTLS', 'command'], ['S: 220 2.0.0 go', 'tls', 'STARTTLS']]);
  });

  it('counts BDAT octets (RFC 3030 §2); BDAT 0 and malformed sizes read no octets', () => {
    const wire = new SmtpWire();
    expect(wire.command(b('BDAT 10 LAST\r\n'))).toMatchObject({ kind: 'command', verb: 'BDAT', bdat: { size: 10, last: true } });
    expect([wire.phase, wire.bdatLeft, wire.bdatLast]).toEqual(['bdat', 10, true]);
    expect(wire.bdatBytes(4)).toBe(false);
    expect(wire.bdatBytes(6)).toBe(true);
    expect(wire.phase).toBe('command');
    drive([['C: BDAT 0 LAST', 'command'], ['C: BDAT ten', 'command']]);
  });

  it('reads a multi-line reply as one answer and commits nothing on a peek', () => {
    const wire = drive([['S: 220 hi', 'command', 'GREETING'], ['C: EHLO a', 'command'], ['C: NOOP', 'command']]);
    expect(wire.peekReply(b('250 ok\r\n'))?.to).toBe('EHLO');
    expect(wire.awaiting).toBe('EHLO');
    expect(wire.peekReply(b('garbage\r\n'))).toBeUndefined();
    expect(wire.reply(b('garbage\r\n'))).toBeUndefined();
    expect(wire.replyEnded(0)).toBe('EHLO');
    expect(wire.awaiting).toBe('NOOP');
  });

  it('owes no reply to a banner when the stream was read from its middle', () => {
    drive([['C: DATA', 'data-wait'], ['S: 354 go', 'content', 'DATA']], new SmtpWire({ greeting: false }));
  });

  it('bounds what it remembers while no reply comes', () => {
    const wire = new SmtpWire({ maxPending: 2 });
    for (let i = 0; i < 5; i++) wire.command(b('NOOP\r\n'));
    expect([wire.replyEnded(250), wire.replyEnded(250), wire.replyEnded(250)]).toEqual(['GREETING', 'NOOP', undefined]);
  });

  it('hands out a local answer when every earlier reply has come', () => {
    const wire = new SmtpWire<string>();
    wire.command(b('EHLO a\r\n'));
    wire.answerLocally('VRFY', 'local 252');
    wire.command(b('NOOP\r\n'));
    expect(wire.takeDueAnswers()).toEqual([]);
    wire.reply(b('220 hi\r\n'));
    expect(wire.takeDueAnswers()).toEqual([]);
    wire.reply(b('250 ok\r\n'));
    expect(wire.takeDueAnswers()).toEqual(['local 252']);
    expect(wire.awaiting).toBe('NOOP');
  });
});
