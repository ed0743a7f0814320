// Each profile's server log, table-tested: one fixed input (input.ts), the exact lines each
// product's formatter writes. A change of wording shows here line by line.
import { describe, expect, it } from 'vitest';
import { logFormatter, logProfiles } from '../../../app/mta/logs/index.ts';
import { csv, TRACKING_COLUMNS } from '../../../app/mta/logs/exchange-2019.ts';
import { INPUT, oneAttempt } from './input.ts';

const TABLE: [profile: string, title: string, lines: string[]][] = [
  ["postfix", "maillog (syslog, mail facility)", [
    "Nov 28 09:00:00 mail postfix/qmgr[1001]: A1B2C3: from=<alice@intellinet.example>, size=812, nrcpt=1 (queue active)",
    "Nov 28 09:00:01 mail postfix/smtp[2001]: Verified TLS connection established to mail.partner.example[203.0.113.25]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384",
    "Nov 28 09:00:01 mail postfix/smtp[2001]: A1B2C3: to=<pat@partner.example>, relay=mail.partner.example[203.0.113.25]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F8E7D)",
    "Nov 28 09:00:01 mail postfix/qmgr[1001]: A1B2C3: removed",
    "Nov 28 09:01:00 mail postfix/qmgr[1001]: D4E5F6: from=<alice@intellinet.example>, size=640, nrcpt=1 (queue active)",
    "Nov 28 09:01:00 mail postfix/smtp[2002]: D4E5F6: to=<sean@ntsol.example>, relay=mail.ntsol.example[198.51.100.25]:25, delay=0, delays=0/0/0/0, dsn=4.0.0, status=deferred (lost connection with mail.ntsol.example[198.51.100.25] while sending EHLO)",
    "Nov 28 09:02:00 mail postfix/smtpd[4004]: connect from mail.partner.example[203.0.113.25]",
    "Nov 28 09:02:00 mail postfix/smtpd[4004]: Anonymous TLS connection established from mail.partner.example[203.0.113.25]",
    "Nov 28 09:02:00 mail postfix/smtpd[4004]: 77AA11: client=mail.partner.example[203.0.113.25]",
    "Nov 28 09:02:00 mail postfix/smtpd[4004]: disconnect from mail.partner.example[203.0.113.25] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
    "Nov 28 09:11:00 mail postfix/smtp[2003]: D4E5F6: to=<sean@ntsol.example>, relay=mail.ntsol.example[198.51.100.25]:25, delay=600, delays=600/0/0/0, dsn=5.7.3, status=bounced (host mail.ntsol.example[198.51.100.25] said: 535 5.7.3 Authentication unsuccessful (in reply to AUTH command))",
    "Nov 28 09:11:00 mail postfix/bounce[3003]: D4E5F6: sender non-delivery notification: B0B0B0",
    "Nov 28 09:11:00 mail postfix/qmgr[1001]: D4E5F6: removed",
  ]],
  ["exchange-2019", "Message tracking log", [
    "2026-11-28T09:00:00.000Z,,,,mail.intellinet.example,08D0000000000000,,SMTP,RECEIVE,123,<m1.abc@mail.intellinet.example>,A1B2C3,pat@partner.example,,812,1,,,Checking in,alice@intellinet.example",
    "2026-11-28T09:00:01.000Z,192.0.2.10,mail.intellinet.example,203.0.113.25,mail.partner.example,,Send to partner.example,SMTP,SEND,123,<m1.abc@mail.intellinet.example>,A1B2C3,pat@partner.example,250 2.0.0 Ok: queued as 9F8E7D,812,1,,,Checking in,alice@intellinet.example",
    "2026-11-28T09:01:00.000Z,,,,mail.intellinet.example,08D0000000000000,,SMTP,RECEIVE,456,,D4E5F6,sean@ntsol.example,,640,1,,,,alice@intellinet.example",
    "2026-11-28T09:01:00.000Z,192.0.2.10,mail.intellinet.example,198.51.100.25,mail.ntsol.example,,Send to ntsol.example,SMTP,DEFER,456,,D4E5F6,sean@ntsol.example,451 4.0.0 lost connection with mail.ntsol.example[198.51.100.25] while sending EHLO,640,1,,,,alice@intellinet.example",
    "2026-11-28T09:02:00.000Z,203.0.113.25,mail.partner.example,192.0.2.10,mail.intellinet.example,,MAIL\\Default Frontend MAIL,SMTP,RECEIVE,,,,alice@intellinet.example,,,1,,,,pat@partner.example",
    "2026-11-28T09:11:00.000Z,192.0.2.10,mail.intellinet.example,198.51.100.25,mail.ntsol.example,,Send to ntsol.example,SMTP,FAIL,456,,D4E5F6,sean@ntsol.example,535 5.7.3 Authentication unsuccessful,640,1,,,,alice@intellinet.example",
    "2026-11-28T09:11:00.000Z,,,,mail.intellinet.example,,,DSN,DSN,456,,D4E5F6,alice@intellinet.example,,640,1,sean@ntsol.example,B0B0B0,,alice@intellinet.example",
  ]],
  ["exchange-2019", "Send connector protocol log", [
    "2026-11-28T09:00:01.000Z,Send to partner.example,08D0000000000001,0,192.0.2.10:49153,203.0.113.25:25,*,,attempting to connect",
    "2026-11-28T09:00:01.000Z,Send to partner.example,08D0000000000001,1,192.0.2.10:49153,203.0.113.25:25,+,,",
    "2026-11-28T09:00:01.000Z,Send to partner.example,08D0000000000001,2,192.0.2.10:49153,203.0.113.25:25,<,220 mail.partner.example ESMTP,",
    "2026-11-28T09:00:01.000Z,Send to partner.example,08D0000000000001,3,192.0.2.10:49153,203.0.113.25:25,>,EHLO mail.intellinet.example,",
    "2026-11-28T09:00:01.000Z,Send to partner.example,08D0000000000001,4,192.0.2.10:49153,203.0.113.25:25,*,,TLS started",
    "2026-11-28T09:00:01.000Z,Send to partner.example,08D0000000000001,5,192.0.2.10:49153,203.0.113.25:25,-,,Local",
    "2026-11-28T09:01:00.000Z,Send to ntsol.example,08D0000000000002,0,192.0.2.10:49154,198.51.100.25:25,*,,attempting to connect",
    "2026-11-28T09:01:00.000Z,Send to ntsol.example,08D0000000000002,1,192.0.2.10:49154,198.51.100.25:25,+,,",
    "2026-11-28T09:01:00.000Z,Send to ntsol.example,08D0000000000002,2,192.0.2.10:49154,198.51.100.25:25,-,,Local",
    "2026-11-28T09:11:00.000Z,Send to ntsol.example,08D0000000000003,0,192.0.2.10:49155,198.51.100.25:25,*,,attempting to connect",
    "2026-11-28T09:11:00.000Z,Send to ntsol.example,08D0000000000003,1,192.0.2.10:49155,198.51.100.25:25,+,,",
    "2026-11-28T09:11:00.000Z,Send to ntsol.example,08D0000000000003,2,192.0.2.10:49155,198.51.100.25:25,-,,Local",
  ]],
  ["exchange-5.5", "Internet Mail Service log", [
    "11/28/26 09:00:00  Message Transfer        Message A1B2C3 from alice@intellinet.example queued for pat@partner.example (812 bytes)",
    "11/28/26 09:00:01  Connections             Outbound connection to mail.partner.example [203.0.113.25] for message A1B2C3",
    "11/28/26 09:00:01  Security                SASL/SSL: TLSv1.3 session started with mail.partner.example",
    "11/28/26 09:00:01  Message Transfer        Message A1B2C3 delivered to mail.partner.example: 250 2.0.0 Ok: queued as 9F8E7D",
    "11/28/26 09:01:00  Message Transfer        Message D4E5F6 from alice@intellinet.example queued for sean@ntsol.example (640 bytes)",
    "11/28/26 09:01:00  Connections             Outbound connection to mail.ntsol.example [198.51.100.25] for message D4E5F6",
    "11/28/26 09:01:00  SMTP Interface Events   Message D4E5F6 will be retried: lost connection with mail.ntsol.example[198.51.100.25] while sending EHLO",
    "11/28/26 09:02:00  Connections             Inbound connection from mail.partner.example [203.0.113.25]",
    "11/28/26 09:02:00  Security                SASL/SSL: inbound session started",
    "11/28/26 09:02:00  SMTP Interface Events   Inbound session ended after 7 commands (EHLO STARTTLS MAIL RCPT DATA QUIT)",
    "11/28/26 09:11:00  Connections             Outbound connection to mail.ntsol.example [198.51.100.25] for message D4E5F6",
    "11/28/26 09:11:00  SMTP Interface Events   Message D4E5F6 returned to sender: host mail.ntsol.example[198.51.100.25] said: 535 5.7.3 Authentication unsuccessful (in reply to AUTH command)",
    "11/28/26 09:11:00  Message Transfer        Non-delivery report B0B0B0 generated for alice@intellinet.example",
  ]],
  ["generic", "Lab server log", [
    "2026-11-28T09:00:00.000Z mail.intellinet.example smtp: A1B2C3 queued from=<alice@intellinet.example> to=<pat@partner.example> size=812",
    "2026-11-28T09:00:01.000Z mail.intellinet.example smtp: A1B2C3 delivered host=mail.partner.example tls=TLSv1.3",
    "2026-11-28T09:01:00.000Z mail.intellinet.example smtp: D4E5F6 queued from=<alice@intellinet.example> to=<sean@ntsol.example> size=640",
    "2026-11-28T09:01:00.000Z mail.intellinet.example smtp: D4E5F6 deferred host=mail.ntsol.example reason=\"lost connection with mail.ntsol.example[198.51.100.25] while sending EHLO\"",
    "2026-11-28T09:02:00.000Z mail.intellinet.example smtp: session c4 from mail.partner.example [203.0.113.25] 7 commands",
    "2026-11-28T09:11:00.000Z mail.intellinet.example smtp: D4E5F6 bounced host=mail.ntsol.example reason=\"host mail.ntsol.example[198.51.100.25] said: 535 5.7.3 Authentication unsuccessful (in reply to AUTH command)\"",
  ]],
];

describe('server logs per profile', () => {
  it.each(TABLE)('%s: %s', (profile, title, lines) => {
    const log = logFormatter(profile)(INPUT).find((l) => l.title === title);
    expect(log, `${profile} has a log titled ${title}`).toBeDefined();
    expect(log!.lines.map((l) => l.text)).toEqual(lines);
  });

  it('every registered profile is in the table, and an unknown one falls back to the generic log', () => {
    expect(new Set(TABLE.map(([p]) => p))).toEqual(new Set(logProfiles()));
    expect(logFormatter('no-such-product')(INPUT)[0].title).toBe('Lab server log');
  });

  it('marks what is reconstructed: Exchange 5.5 and generic, not Postfix or Exchange 2019', () => {
    const flags = Object.fromEntries(logProfiles().map((p) => [p, logFormatter(p)(INPUT).map((l) => l.reconstructed)]));
    expect(flags).toEqual({ postfix: [false], 'exchange-2019': [false, false], 'exchange-5.5': [true], generic: [true] });
  });

  it('a STARTTLS whose handshake failed is no "TLS connection established", and an MX ruled out before connecting is no "connect to"', () => {
    const input = oneAttempt('E7F8A9', 'sean@ntsol.example',
      { host: 'mx.mallory.example', address: '203.0.113.66', result: 'next-mx', reason: 'MX host mx.mallory.example does not match the MTA-STS policy of ntsol.example' }, [{
        conn: 'c9', at: Date.parse('2026-11-28T09:00:00Z'), host: 'mail.intellinet.example', client: { host: 'mail.partner.example', ip: '203.0.113.25' },
        lines: [
          { dir: 'out' as const, text: '220 mail.intellinet.example ESMTP' }, { dir: 'in' as const, text: 'EHLO mail.partner.example' }, { dir: 'out' as const, text: '250 mail.intellinet.example' },
          { dir: 'in' as const, text: 'STARTTLS' }, { dir: 'out' as const, text: '220 2.0.0 Ready to start TLS' },
        ],
      }]);
    const postfix = logFormatter('postfix')(input)[0].lines.map((l) => l.text);
    expect(postfix).toEqual([
      'Nov 28 09:00:00 mail postfix/qmgr[1001]: E7F8A9: from=<alice@intellinet.example>, size=400, nrcpt=1 (queue active)',
      'Nov 28 09:00:00 mail postfix/smtp[2000]: E7F8A9: host mx.mallory.example[203.0.113.66]:25 not tried: MX host mx.mallory.example does not match the MTA-STS policy of ntsol.example',
      'Nov 28 09:00:00 mail postfix/smtpd[4009]: connect from mail.partner.example[203.0.113.25]',
      'Nov 28 09:00:00 mail postfix/smtpd[4009]: SSL_accept error from mail.partner.example[203.0.113.25]: -1',
      'Nov 28 09:00:00 mail postfix/smtpd[4009]: lost connection after STARTTLS from mail.partner.example[203.0.113.25]',
      'Nov 28 09:00:00 mail postfix/smtpd[4009]: disconnect from mail.partner.example[203.0.113.25] ehlo=1 starttls=0/1 commands=1/2',
    ]);
    const ims = logFormatter('exchange-5.5')(input)[0].lines.map((l) => l.text);
    expect(ims).toContain('11/28/26 09:00:00  Security                SASL/SSL: inbound handshake failed; connection closed');
    expect(ims.join('\n')).not.toContain('SASL/SSL: inbound session started');
  });

  it('the IMS log names no outbound connection for an attempt that reached no host (a domain without MX)', () => {
    const input = oneAttempt('INT00004EBD0', 'bob@elsewhere.example',
      { result: 'bounced', reason: 'Host or domain name not found: elsewhere.example: type=MX: Host not found' });
    const ims = logFormatter('exchange-5.5')(input)[0].lines.map((l) => l.text);
    expect(ims.join('\n')).not.toContain('Outbound connection');
    expect(ims).toContain('11/28/26 09:00:00  SMTP Interface Events   Message INT00004EBD0 returned to sender: Host or domain name not found: elsewhere.example: type=MX: Host not found');
  });

  it('Postfix\'s disconnect tally counts a failed command as ok/all: a refused AUTH, a pipelined RCPT refused, an NTLM exchange as one AUTH', () => {
    const at = Date.parse('2026-11-28T09:00:00Z');
    const session = (conn: string, lines: [dir: 'in' | 'out', text: string][]) => ({
      conn, at, host: 'mail.intellinet.example', client: { host: 'mail.partner.example', ip: '203.0.113.25' },
      lines: lines.map(([dir, text]) => ({ dir, text })),
    });
    const input = {
      ...INPUT, outbound: [],
      inbound: [
        // The content scanner's case: AUTH NTLM to a Postfix with no SASL.
        session('c1', [['out', '220 x ESMTP'], ['in', 'EHLO a'], ['out', '250 x'], ['in', 'AUTH NTLM'], ['out', '503 5.5.1 Error: authentication not enabled'], ['in', 'QUIT'], ['out', '221 2.0.0 Bye']]),
        // Pipelined (RFC 2920): three commands, then their three replies in order; the RCPT refused.
        session('c2', [['out', '220 x ESMTP'], ['in', 'EHLO a'], ['out', '250-x'], ['out', '250 PIPELINING'], ['in', 'MAIL FROM:<a@b>'], ['in', 'RCPT TO:<nobody@intellinet.example>'], ['in', 'DATA'],
          ['out', '250 2.1.0 Ok'], ['out', '550 5.1.1 <nobody@intellinet.example>: Recipient address rejected'], ['out', '554 5.5.1 Error: no valid recipients'], ['in', 'QUIT'], ['out', '221 2.0.0 Bye']]),
        // NTLM: the two answers to 334 are AUTH's, not commands.
        session('c3', [['out', '220 x ESMTP'], ['in', 'EHLO a'], ['out', '250 x'], ['in', 'AUTH NTLM'], ['out', '334 ntlm supported'], ['in', 'TlRMTVNTUAABAAAA'], ['out', '334 TlRMTVNTUAACAAAA'], ['in', 'TlRMTVNTUAADAAAA'], ['out', '235 ntlm authentication successful'], ['in', 'QUIT'], ['out', '221 2.0.0 Bye']]),
      ],
    };
    const tallies = logFormatter('postfix')(input)[0].lines.map((l) => l.text).filter((t) => t.includes('disconnect from')).map((t) => t.replace(/^.*\] /, ''));
    expect(tallies).toEqual([
      'ehlo=1 auth=0/1 quit=1 commands=2/3',
      'ehlo=1 mail=1 rcpt=0/1 data=0/1 quit=1 commands=3/5',
      'ehlo=1 auth=1 quit=1 commands=3',
    ]);
  });

  it('links lines to their queue entry and connection', () => {
    const lines = logFormatter('postfix')(INPUT)[0].lines;
    expect(lines.find((l) => l.text.includes('status=bounced'))).toMatchObject({ entry: 'D4E5F6', conn: 'c3' });
    expect(lines.find((l) => l.text.includes('connect from'))).toMatchObject({ conn: 'c4' });
  });

  it('Exchange 2019 columns: one field per column, CSV-quoted where RFC 4180 asks', () => {
    const log = logFormatter('exchange-2019')(INPUT)[0];
    expect(log.columns).toEqual(TRACKING_COLUMNS);
    for (const l of log.lines) expect(l.fields).toHaveLength(TRACKING_COLUMNS.length);
    expect(csv(['a,b', 'say "hi"', 'plain'])).toBe('"a,b","say ""hi""",plain');
  });
});
