// Each product speaks its own dialect on the wire (docs/products.md): a real client against the
// lab's inbound server with each product's words, every reply checked against a table written by
// hand from the public sources named in app/products/<name>.ts — not against the code's output.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { startInbound, type InboundServer } from '../../app/mta/inbound.ts';
import { LIBRARY_TEXTS } from '../../app/mta/dialect-wire.ts';
import { product } from '../../app/products/index.ts';
import { realTimers } from '../../app/base/timers.ts';
import { rawClient } from '../helpers/net.ts';
import { ROOT } from '../helpers/cli.ts';

const servers: InboundServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(name: string) {
  const p = product(name);
  const server = await startInbound({
    hostName: 'mail.ntsol.example', greeting: p.dialect.banner('mail.ntsol.example', Date.UTC(2026, 10, 28, 9)), dialect: () => p.dialect,
    greetingDelayMs: 0, heloRequired: false, timers: realTimers, maxSize: 10_485_760, socketTimeoutMs: 30_000,
    describeClient: () => ({ ip: '192.0.2.10' }),
    checkRecipient: (a) => (a === 'sean@ntsol.example' ? undefined : { code: 550, message: 'no' }),
    accept: async () => 'NTS00001AB',
  });
  servers.push(server);
  return server;
}

/** One session's replies, in order: banner, EHLO, HELP, an unknown verb, STARTTLS (none offered), NOOP, RSET, MAIL, RCPT, DATA, end of data, QUIT. */
async function session(name: string): Promise<Record<string, string>> {
  const server = await serve(name);
  const c = await rawClient(server.port);
  const r: Record<string, string> = { banner: await c.reply() };
  const ask = async (key: string, line: string) => { c.send(line); r[key] = await c.reply(); };
  await ask('ehlo', 'EHLO mail.intellinet.example');
  await ask('help', 'HELP');
  await ask('unknown', 'FOOB');
  await ask('starttls', 'STARTTLS');
  await ask('noop', 'NOOP');
  await ask('rset', 'RSET');
  await ask('mail', 'MAIL FROM:<alice@intellinet.example>');
  await ask('rcpt', 'RCPT TO:<sean@ntsol.example>');
  await ask('data', 'DATA');
  await ask('queued', 'Subject: x\r\n\r\nHi\r\n.');
  await ask('quit', 'QUIT');
  return r;
}

// The public record (app/products/*.ts name each source; "reconstructed" lines are marked there and in docs/products.md).
const TABLE: Record<string, Record<string, string>> = {
  'exchange-5.5': {
    banner: '220 mail.ntsol.example ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.2653.13) ready',
    ehlo: ['250-mail.ntsol.example Hello [192.0.2.10]', '250-XEXCH50', '250-HELP', '250-ETRN', '250-DSN', '250-SIZE 0', '250-AUTH LOGIN', '250 AUTH=LOGIN'].join('\r\n'),
    help: '214-Commands:\r\n214 HELO EHLO MAIL RCPT DATA RSET QUIT NOOP HELP ETRN AUTH',
    unknown: '500 Command unrecognized',
    starttls: '500 Command unrecognized',
    noop: '250 OK',
    rset: '250 Reset state',
    mail: '250 OK - mail from <alice@intellinet.example>',
    rcpt: '250 OK - Recipient <sean@ntsol.example>',
    data: '354 Send data.  End with CRLF.CRLF',
    queued: '250 OK',
    quit: '221 closing connection',
  },
  'exchange-2019': {
    banner: '220 mail.ntsol.example Microsoft ESMTP MAIL Service ready at Sat, 28 Nov 2026 09:00:00 +0000',
    ehlo: ['250-mail.ntsol.example Hello [192.0.2.10]', '250-SIZE 10485760', '250-PIPELINING', '250-DSN', '250-ENHANCEDSTATUSCODES', '250-8BITMIME', '250 SMTPUTF8'].join('\r\n'),
    help: '214-This server supports the following commands:\r\n214 HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT',
    unknown: '500 5.3.3 Unrecognized command',
    starttls: '500 5.3.3 Unrecognized command',
    noop: '250 2.0.0 OK',
    rset: '250 2.0.0 Resetting',
    mail: '250 2.1.0 Sender OK',
    rcpt: '250 2.1.5 Recipient OK',
    data: '354 Start mail input; end with <CRLF>.<CRLF>',
    queued: '250 2.6.0 <NTS00001AB> [InternalId=1] Queued mail for delivery',
    quit: '221 2.0.0 Service closing transmission channel',
  },
  postfix: {
    banner: '220 mail.ntsol.example ESMTP Postfix',
    ehlo: ['250-mail.ntsol.example', '250-PIPELINING', '250-SIZE 10485760', '250-VRFY', '250-ETRN', '250-ENHANCEDSTATUSCODES', '250-8BITMIME', '250-DSN', '250 SMTPUTF8'].join('\r\n'),
    help: '502 5.5.2 Error: command not recognized',
    unknown: '502 5.5.2 Error: command not recognized',
    starttls: '502 5.5.1 Error: command not implemented',
    noop: '250 2.0.0 Ok',
    rset: '250 2.0.0 Ok',
    mail: '250 2.1.0 Ok',
    rcpt: '250 2.1.5 Ok',
    data: '354 End data with <CR><LF>.<CR><LF>',
    queued: '250 2.0.0 Ok: queued as NTS00001AB',
    quit: '221 2.0.0 Bye',
  },
  generic: {
    banner: '220 mail.ntsol.example ESMTP Postcard Lab',
    ehlo: ['250-mail.ntsol.example Hello [192.0.2.10]', '250-PIPELINING', '250-8BITMIME', '250-SMTPUTF8', '250-ENHANCEDSTATUSCODES', '250-DSN', '250 SIZE 10485760'].join('\r\n'),
    help: '214 2.0.0 See https://tools.ietf.org/html/rfc5321 for details',
    unknown: '500 5.5.2 Error: command not recognized',
    starttls: '502 5.5.1 Error: command not implemented',
    noop: '250 2.0.0 OK',
    rset: '250 2.0.0 Flushed',
    mail: '250 2.1.0 Accepted',
    rcpt: '250 2.1.5 Accepted',
    data: '354 End data with <CR><LF>.<CR><LF>',
    queued: '250 2.0.0 OK: queued as NTS00001AB',
    quit: '221 2.0.0 Bye',
  },
};

describe('every reply in the product\'s own words, on the wire', () => {
  it.each(Object.keys(TABLE))('%s', async (name) => {
    expect(await session(name)).toEqual(TABLE[name]);
  });

  it('ETRN and XEXCH50, which the IMS lists, get its answers instead of smtp-server\'s "command not recognized"', async () => {
    const c = await rawClient((await serve('exchange-5.5')).port);
    await c.reply();
    c.send('ETRN ntsol.example');
    expect(await c.reply()).toBe('250 Queuing started');
    c.send('XEXCH50 10 2');
    expect(await c.reply()).toBe('500 Command unrecognized');
  });
});

describe('the patch on smtp-server (app/mta/dialect-wire.ts)', () => {
  it('still finds every smtp-server text it replaces: an upgrade that rewords one fails here', () => {
    const source = fs.readFileSync(path.join(ROOT, 'node_modules/smtp-server/dist/esm/smtp-connection.js'), 'utf8');
    for (const key of Object.keys(LIBRARY_TEXTS)) {
      const [, code, text] = /^(\d{3}) (.*?)(?:@[A-Z]+)?$/.exec(key)!;
      expect(source, key).toContain(`this.send(${code}, '${text}'`);
    }
    // EHLO's reply is one array, HELO's one line from `heloResponse`: the patch matches them by verb.
    expect(source).toContain('this.send(250, [formattedResponse].concat(features || []), false)');
    expect(source).toContain('this.send(250, formattedResponse, false)');
  });
});
