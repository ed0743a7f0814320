import { describe, expect, it } from 'vitest';
import { plainPlan } from '../../../app/mta/security.ts';
import { SmtpClientSession, type ClientCommand } from '../../../app/mta/outbound/client.ts';
import { ReplyParser, dotStuff, type Reply } from '../../../app/smtp/wire.ts';


function reply(text: string): Reply {
  const { replies, error } = new ReplyParser().push(Buffer.from(`${text.replace(/\n/g, '\r\n')}\r\n`));
  if (error || replies.length !== 1) throw new Error(`bad test reply ${text}: ${error}`);
  return replies[0];
}

function session(to = ['sean@ntsol.example'], message = 'Subject: hi\r\n\r\nHi Sean\r\n') {
  return new SmtpClientSession({ heloName: 'mail.intellinet.example', from: 'alice@intellinet.example', to, message: Buffer.from(message), plan: plainPlan, peer: 'mail.ntsol.example[198.51.100.25]' });
}

const lines = (cmds: ClientCommand[]) => cmds.map((c) => (c.type === 'send' ? c.line : c.type));

/** Drive a session with a script of [server reply, expected client commands]. */
function drive(s: SmtpClientSession, script: [string, string[]][]) {
  for (const [text, expected] of script) expect(lines(s.handle({ type: 'reply', reply: reply(text) })), `after ${text}`).toEqual(expected);
}

describe('ReplyParser', () => {
  it('assembles multi-line replies across arbitrary chunking and reads enhanced status codes', () => {
    const p = new ReplyParser();
    const bytes = Buffer.from('250-mail.ntsol.example Hello\r\n250-SIZE 1000\r\n250 8BITMIME\r\n535 5.7.3 Authentication unsuccessful\r\n');
    const got: Reply[] = [];
    for (const b of bytes) got.push(...p.push(Buffer.from([b])).replies);
    expect(got.map((r) => [r.code, r.lines.length])).toEqual([[250, 3], [535, 1]]);
    expect(got[1].status).toBe('5.7.3');
  });

  it('reports garbage instead of guessing', () => {
    expect(new ReplyParser().push(Buffer.from('***-***\r\n')).error).toMatch(/malformed reply line/);
    expect(new ReplyParser().push(Buffer.from('250-a\r\n354 b\r\n')).error).toMatch(/code changed/);
  });
});

describe('SmtpClientSession state table', () => {
  it('runs a full session: EHLO, SIZE, MAIL, two RCPTs, DATA, dot-stuffed message, QUIT', () => {
    const s = session(['sean@ntsol.example', 'bob@ntsol.example'], 'Subject: x\n\n.dot\nend');
    drive(s, [
      ['220 mail.ntsol.example ESMTP', ['EHLO mail.intellinet.example']],
      ['250-mail.ntsol.example\n250-SIZE 100000\n250 8BITMIME', ['MAIL FROM:<alice@intellinet.example> SIZE=20']],
      ['250 2.1.0 OK', ['RCPT TO:<sean@ntsol.example>']],
      ['250 2.1.5 OK', ['RCPT TO:<bob@ntsol.example>']],
      ['250 2.1.5 OK', ['DATA']],
    ]);
    const cmds = s.handle({ type: 'reply', reply: reply('354 go ahead') });
    expect(cmds[0]).toEqual({ type: 'send-message', data: Buffer.from('Subject: x\r\n\r\n..dot\r\nend\r\n.\r\n') });
    // The final 250 is reported before QUIT, so the queue records the delivery at once (issue 18).
    drive(s, [['250 2.0.0 OK: queued as Q1', ['accepted', 'QUIT']], ['221 Bye', ['close']]]);
    expect(s.result).toMatchObject({ delivered: true, phase: 'done', recipients: [{ accepted: true }, { accepted: true }] });
  });

  it('falls back to HELO when EHLO is not understood (RFC 5321 §3.2)', () => {
    const s = session();
    drive(s, [
      ['220 old.example SMTP', ['EHLO mail.intellinet.example']],
      ['500 Command unrecognized', ['HELO mail.intellinet.example']],
      ['250 old.example', ['MAIL FROM:<alice@intellinet.example>']],
    ]);
  });

  it.each([
    ['421 4.3.2 Service not available', 'next-mx', '4.3.2'],
    ['554 5.7.1 No service', 'bounce', '5.7.1'],
  ])('a greeting of "%s" ends the session with %s', (text, action, status) => {
    const s = session();
    expect(lines(s.handle({ type: 'reply', reply: reply(text) }))).toEqual(['QUIT', 'close']);
    expect(s.result?.failure).toMatchObject({ action, status });
  });

  it.each([
    ['MAIL', 1, '452 4.3.1 Insufficient system storage', 'defer'],
    ['MAIL', 1, '553 5.1.8 Bad sender', 'bounce'],
    ['RCPT', 2, '550 5.1.1 User unknown', 'bounce'],
    ['RCPT', 2, '451 4.7.1 Greylisted', 'defer'],
    ['DATA', 3, '554 5.3.0 No valid recipients', 'bounce'],
    ['message', 4, '552 5.3.4 Message too big', 'bounce'],
    ['message', 4, '451 4.3.0 Local error', 'defer'],
  ])('a refusal at %s is classified by its reply class', (_phase, steps, text, action) => {
    const s = session();
    const happy = ['220 x', '250 x', '250 ok', '250 ok', '354 go'];
    for (let i = 0; i <= steps; i++) s.handle({ type: 'reply', reply: reply(i === steps ? text : happy[i]) });
    expect(s.result?.delivered).toBe(false);
    expect(s.result?.failure?.action).toBe(action);
    expect(s.result?.failure?.reason).toContain(text.slice(0, 3));
  });

  it('delivers to the accepted recipients when only some are refused', () => {
    const s = session(['sean@ntsol.example', 'ghost@ntsol.example']);
    drive(s, [['220 x', ['EHLO mail.intellinet.example']], ['250 x', ['MAIL FROM:<alice@intellinet.example>']], ['250 ok', ['RCPT TO:<sean@ntsol.example>']], ['250 ok', ['RCPT TO:<ghost@ntsol.example>']], ['550 5.1.1 unknown', ['DATA']]]);
    expect(s.result).toBeUndefined();
  });

  it('treats an early close or a timeout as a deferral, but a close after the 250 for DATA as delivered', () => {
    const early = session();
    early.handle({ type: 'reply', reply: reply('220 x') });
    expect(lines(early.handle({ type: 'closed' }))).toEqual(['close']);
    expect(early.result?.failure).toMatchObject({ action: 'defer', reason: expect.stringContaining('lost connection with mail.ntsol.example[198.51.100.25] while sending EHLO') });

    const silent = session();
    silent.handle({ type: 'timeout' });
    expect(silent.result?.failure?.action).toBe('next-mx');

    const late = session();
    for (const r of ['220 x', '250 x', '250 ok', '250 ok', '354 go', '250 queued']) late.handle({ type: 'reply', reply: reply(r) });
    late.handle({ type: 'closed' });
    expect(late.result?.delivered).toBe(true);
  });

  it('an unexpected reply during the handshake is a protocol failure, not a crash', () => {
    const s = session();
    s.handle({ type: 'reply', reply: reply('220 x') });
    s.handle({ type: 'protocol-error', error: 'malformed reply line' });
    expect(s.result?.failure?.reason).toMatch(/protocol error/);
    expect(s.handle({ type: 'reply', reply: reply('250 late') })).toEqual([]);
  });

  it('keeps every command and reply in the transcript with its layer', () => {
    const s = session();
    drive(s, [['220 mail.ntsol.example ESMTP', ['EHLO mail.intellinet.example']]]);
    expect(s.transcript).toEqual([
      { dir: 'in', layer: 'clear', text: '220 mail.ntsol.example ESMTP' },
      { dir: 'out', layer: 'clear', text: 'EHLO mail.intellinet.example' },
    ]);
  });
});

describe('dotStuff', () => {
  it('normalises line ends, doubles leading dots and terminates (RFC 5321 §4.5.2)', () => {
    expect(dotStuff(Buffer.from('a\n.\n..b')).toString()).toBe('a\r\n..\r\n...b\r\n.\r\n');
  });
});
