// A captured stream read as an SMTP dialogue (app/infer/smtp.ts) with the wire's grammar
// (app/smtp/wire.ts): replies grouped by RFC 5321 §4.2.1, each command paired with its reply in
// order (RFC 2920 §3), a mangled reply line kept as evidence with code 0 instead of a guess.
import { describe, expect, it } from 'vitest';
import { readDialogue, verbOf } from '../../app/infer/smtp.ts';
import type { Stream, TcpConnection } from '../../app/infer/tcp.ts';

const stream = (text: string): Stream => ({ bytes: Buffer.from(text, 'latin1'), packetAt: [...text].map(() => 1), gaps: [] });
const conn = (c2s: string, s2c: string): TcpConnection => ({
  client: { ip: '192.0.2.10', port: 49152 }, server: { ip: '198.51.100.25', port: 25 }, firstPacket: 1, c2s: stream(c2s), s2c: stream(s2c),
});

describe('readDialogue', () => {
  it('groups multi-line replies and pairs pipelined commands with their replies in order', () => {
    const d = readDialogue(conn(
      'EHLO a.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n',
      '220-mail.b.example\r\n220 ESMTP\r\n250-mail.b.example\r\n250 PIPELINING\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n250 2.0.0 queued\r\n221 bye\r\n',
    ));
    expect(d.greeting?.code).toBe(220);
    expect(d.greeting?.lines.map((l) => l.text)).toEqual(['220-mail.b.example', '220 ESMTP']);
    expect(d.exchanges.map((x) => [x.line.text.split(' ')[0], x.reply?.code])).toEqual([
      ['EHLO', 250], ['MAIL', 250], ['RCPT', 250], ['DATA', 354], ['.', 250], ['QUIT', 221],
    ]);
    expect(d.content[0].map((l) => l.text)).toEqual(['Subject: x', '', 'hi', '.']);
  });

  it('keeps a line that is not a reply as one of code 0, and reads on', () => {
    const d = readDialogue(conn('EHLO a.example\r\nHELO a.example\r\n', '220 ok\r\n250ok\r\n250 mail.b.example\r\n'));
    expect(d.exchanges.map((x) => [x.line.text, x.reply?.code, x.reply?.lines.length])).toEqual([['EHLO a.example', 0, 1], ['HELO a.example', 250, 1]]);
  });

  it('names a verb only where the line starts with one', () => {
    expect(['MAIL FROM:<a@b>', 'ehlo x', '.', 'TlRMTVNTUAABAAAAB4IIog==', 'XXXXXXXX', ''].map(verbOf)).toEqual(['MAIL', 'EHLO', '', '', 'XXXXXXXX', '']);
  });
});
