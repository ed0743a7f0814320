import { describe, expect, it } from 'vitest';
import { smtpDissector } from '../../../app/capture/dissect/smtp.ts';
import { plainSession } from '../tap-script.ts';
import type { Turn } from './run.ts';
import { run, values } from './run.ts';

const open = () => smtpDissector.open({ depth: 0, decrypt: false });
const session = plainSession('Trial results', 'Hi Sean') as Turn[];

describe('SMTP dissector', () => {
  it('reads commands, multi-line replies and the message, whole or one byte per segment', () => {
    for (const segment of [Infinity, 1, 7]) {
      const pdus = run(open(), session, segment);
      expect(values(pdus, 'smtp.req.command')).toEqual(['EHLO', 'MAIL', 'RCPT', 'DATA', 'QUIT']);
      expect(values(pdus, 'smtp.req.parameter')).toEqual(['mail.intellinet.example', 'FROM:<alice@intellinet.example>', 'TO:<sean@ntsol.example>']);
      // A multi-line reply is one PDU with a code per line (RFC 5321 §4.2.1).
      expect(values(pdus, 'smtp.response.code')).toEqual([220, 250, 250, 250, 250, 250, 354, 250, 221]);
      const ehloReply = pdus.find((p) => p.info.startsWith('S: 250-mail.ntsol.example'))!;
      expect(ehloReply.info).toBe('S: 250-mail.ntsol.example Hello [192.0.2.10] | 250-PIPELINING | 250 SIZE 10240000');
      expect(values(pdus, 'imf.subject')).toEqual(['Trial results']);
      expect(values(pdus, 'imf.extension.value')).toEqual(['cn-7f3a']);
    }
  });

  it('undoes dot-stuffing and ends the data only at a lone dot (RFC 5321 §4.5.2)', () => {
    const pdus = run(open(), session);
    const text = values(pdus, 'imf.message_text')[0] as string;
    expect(text).toBe('Hi Sean\n.leading dot line');
  });

  it('matches pipelined replies to their commands (RFC 2920) before entering DATA', () => {
    const pdus = run(open(), [
      ['s2c', '220 hi\r\n'],
      ['c2s', 'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'],
      ['s2c', '250 ok\r\n250 ok\r\n354 go\r\n'],
      ['c2s', 'Subject: pipelined\r\n\r\nbody\r\n.\r\n'],
      ['s2c', '250 queued\r\n'],
    ]);
    expect(values(pdus, 'imf.subject')).toEqual(['pipelined']);
    expect(values(pdus, 'smtp.req.command')).toEqual(['MAIL', 'RCPT', 'DATA']);
  });

  it('does not enter DATA when the server refuses it', () => {
    const pdus = run(open(), [['c2s', 'DATA\r\n'], ['s2c', '503 5.5.1 Need MAIL\r\n'], ['c2s', 'QUIT\r\n']]);
    expect(values(pdus, 'smtp.req.command')).toEqual(['DATA', 'QUIT']);
  });

  it('switches both directions to TLS after STARTTLS and 220 (RFC 3207 §4)', () => {
    const hello = Buffer.from('16030100050100000100', 'hex');
    const pdus = run(open(), [['c2s', 'STARTTLS\r\n'], ['s2c', '220 2.0.0 Ready\r\n'], ['c2s', hello]]);
    expect(pdus.map((p) => p.layer)).toEqual(['smtp', 'smtp', 'tls']);
    expect(values(pdus, 'tls.handshake.type')).toEqual([1]);
  });

  it('keeps plaintext pipelined after STARTTLS visible as commands (the CVE-2011-0411 class)', () => {
    const pdus = run(open(), [['c2s', 'STARTTLS\r\nMAIL FROM:<evil@x>\r\n'], ['s2c', '220 Ready\r\n']]);
    expect(values(pdus, 'smtp.req.command')).toEqual(['STARTTLS', 'MAIL']);
  });

  it('decodes AUTH PLAIN and AUTH LOGIN credentials, which base64 does not protect (RFC 4616 §2)', () => {
    const plain = run(open(), [['c2s', `AUTH PLAIN ${Buffer.from('\0alice\0s3cret').toString('base64')}\r\n`]]);
    expect(values(plain, 'smtp.auth.username')).toEqual(['alice']);
    expect(values(plain, 'smtp.auth.password')).toEqual(['s3cret']);
    const login = run(open(), [
      ['c2s', 'AUTH LOGIN\r\n'], ['s2c', '334 VXNlcm5hbWU6\r\n'], ['c2s', `${Buffer.from('bob').toString('base64')}\r\n`],
      ['s2c', '334 UGFzc3dvcmQ6\r\n'], ['c2s', `${Buffer.from('hunter2').toString('base64')}\r\n`], ['s2c', '235 ok\r\n'], ['c2s', 'NOOP\r\n'],
    ]);
    expect(values(login, 'smtp.auth.username')).toEqual(['bob']);
    expect(values(login, 'smtp.auth.password')).toEqual(['hunter2']);
    expect(values(login, 'smtp.req.command')).toEqual(['AUTH', 'NOOP']);
  });

  it('reads BDAT chunks as message content without dot-stuffing (RFC 3030)', () => {
    const msg = 'Subject: chunked\r\n\r\n.not stuffed\r\n';
    const pdus = run(open(), [['c2s', `BDAT ${msg.length} LAST\r\n${msg}QUIT\r\n`]]);
    expect(values(pdus, 'imf.subject')).toEqual(['chunked']);
    expect(values(pdus, 'imf.message_text')).toEqual(['.not stuffed']);
    expect(values(pdus, 'smtp.req.command')).toEqual(['BDAT', 'QUIT']);
  });

  it('reports garbage replies and unfinished lines instead of failing', () => {
    const pdus = run(open(), [['s2c', 'hello there\r\n'], ['c2s', 'MAIL FROM:<half']]);
    expect(values(pdus, '_ws.malformed')).toEqual(['not a reply line']);
    expect(pdus[pdus.length - 1].info).toBe('C: MAIL FROM:<half [incomplete]');
  });

  it('keeps byte ranges on the wire for each line, also across segments', () => {
    const pdus = run(open(), [['c2s', 'EHLO a\r\nMAIL FROM:<b>\r\n']], 3);
    expect(pdus.map((p) => p.tree.byteRange)).toEqual([{ start: 0, end: 8 }, { start: 8, end: 23 }]);
  });
});
