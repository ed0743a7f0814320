import { afterEach, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { startInbound, type InboundOptions, type InboundServer, type InboundEnvelope } from '../../app/mta/inbound.ts';
import { realTimers, type Timers } from '../../app/base/timers.ts';
import { rawClient } from '../helpers/net.ts';

const servers: InboundServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function start(overrides: Partial<InboundOptions> = {}) {
  const accepted: { envelope: InboundEnvelope; data: Buffer }[] = [];
  const options: InboundOptions = {
    hostName: 'mail.ntsol.example',
    greeting: 'mail.ntsol.example Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready',
    greetingDelayMs: 0,
    heloRequired: true,
    timers: realTimers,
    maxSize: 10 * 1024 * 1024,
    socketTimeoutMs: 30_000,
    checkRecipient: (address) => (address.endsWith('@ntsol.example') ? undefined : { code: 550, message: '5.7.1 Unable to relay' }),
    accept: async (envelope, data) => {
      accepted.push({ envelope, data });
      return `Q${accepted.length}`;
    },
    ...overrides,
  };
  return startInbound(options).then((server) => {
    servers.push(server);
    return { server, accepted };
  });
}

describe('inbound smtp-server adapter', () => {
  it('still relies on the smtp-server internals the greeting patch overrides (fails on an incompatible upgrade)', () => {
    const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
    for (const member of ['_setListeners', 'connectionReady', '_sendGreeting', 'send', 'init', '_onClose']) {
      expect(typeof proto[member], member).toBe('function');
    }
    // The original init still has the fixed early-talker wait we replace; if that changed, re-check the patch.
    expect(String(proto.init)).toMatch(/setTimeout\(\(\) => this\.connectionReady\(\), 100\)/);
    // The session numbering replaces the server's _handleProxy, which draws a random id unless a PROXY header is expected.
    const server = SMTPServer.prototype as unknown as Record<string, unknown>;
    expect(String(server._handleProxy)).toMatch(/randomBytes\(10\)[\s\S]*_expectsProxyHeader\(socket\)/);
    // The server log: each connection logs the replies it sends and the commands it reads through
    // its server's \`logger\`, which LabSmtpServer replaces after construction.
    expect(String(proto.send)).toMatch(/this\._server\.logger\.debug\(\{\s*tnx: 'send'[\s\S]*'S:', payload\)/);
    expect(String(proto._onCommand)).toMatch(/this\._server\.logger\.debug\(\{\s*tnx: 'command'[\s\S]*'C:', logged\.line\)/);
  });

  it('greets at once with the profile banner, without waiting 100 ms or resolving a name', async () => {
    const { server } = await start();
    const client = await rawClient(server.port);
    expect(await client.reply()).toBe('220 mail.ntsol.example Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready');
    client.send('QUIT');
    await client.reply();
  });

  it('holds the greeting for the configured delay and refuses an early talker', async () => {
    const pending: (() => void)[] = [];
    const manual: Timers = { setTimeout: (fn) => { pending.push(fn); return () => undefined; }, now: () => 0 };
    const { server } = await start({ greetingDelayMs: 5_000, timers: manual });
    const client = await rawClient(server.port);
    await new Promise<void>((resolve) => { const poll = () => (pending.length ? resolve() : setImmediate(poll)); poll(); });
    client.send('EHLO early.example');
    expect(await client.reply()).toMatch(/^421 .*You talk too soon/);
  });

  it('accepts a message from nodemailer, refuses relaying, and hands the exact bytes to accept before 250', async () => {
    const { server, accepted } = await start();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true, name: 'mail.intellinet.example' });
    const info = await transport.sendMail({ from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Trial results', text: 'Hi Sean\n.leading dot\n' });
    expect(info.response).toMatch(/^250 2\.0\.0 OK: queued as Q1/);
    expect(accepted[0].envelope).toMatchObject({ from: 'alice@intellinet.example', to: ['sean@ntsol.example'], heloName: 'mail.intellinet.example' });
    expect(accepted[0].data.toString()).toContain('Subject: Trial results');
    expect(accepted[0].data.toString()).toContain('\r\n.leading dot');
    await expect(transport.sendMail({ from: 'alice@intellinet.example', to: 'eve@elsewhere.example', text: 'x' })).rejects.toThrow(/550/);
  });

  it('answers 451 and keeps listening when the message cannot be stored', async () => {
    const logged: string[] = [];
    const { server } = await start({ accept: async () => { throw new Error('disk full'); }, onInternalError: (d) => logged.push(d) });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true });
    // The detail is logged for the administrator; the client never sees it.
    const failure = await transport.sendMail({ from: 'a@intellinet.example', to: 'sean@ntsol.example', text: 'x' }).then(() => undefined, (e: Error) => e.message);
    expect(failure).toMatch(/451 4\.3\.0 Local error in processing$/);
    expect(logged).toEqual([expect.stringContaining('disk full')]);
    const client = await rawClient(server.port);
    expect(await client.reply()).toMatch(/^220 /);
  });

  it('survives garbage, oversized lines and abrupt disconnects', async () => {
    const { server } = await start();
    const junk = await rawClient(server.port);
    await junk.reply();
    junk.socket.write(Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10]));
    expect(await junk.reply()).toMatch(/^5\d\d /);
    junk.send('X'.repeat(100_000));
    junk.socket.destroy();
    const abrupt = await rawClient(server.port);
    abrupt.socket.destroy();
    const after = await rawClient(server.port);
    expect(await after.reply()).toMatch(/^220 /);
  });

  it('accepts MAIL without HELO where the profile does (Exchange 5.5, Postfix) and refuses it where it does not', async () => {
    const lenient = (await start({ heloRequired: false })).server;
    const c1 = await rawClient(lenient.port);
    await c1.reply();
    c1.send('MAIL FROM:<alice@intellinet.example>');
    expect(await c1.reply()).toMatch(/^250 /);
    const strict = (await start({ heloRequired: true })).server;
    const c2 = await rawClient(strict.port);
    await c2.reply();
    c2.send('MAIL FROM:<alice@intellinet.example>');
    expect(await c2.reply()).toMatch(/^503 .*HELO\/EHLO first/);
  });

  it('cancels each session\'s time limit when the session ends: no timer keeps a closed connection', async () => {
    // Timers the test holds: each session arms its 10-minute limit; QUIT, a client that drops and
    // a client that never speaks must all cancel theirs when the connection closes.
    const live = new Set<number>();
    let next = 0;
    const counting: Timers = {
      setTimeout: (_fn) => {
        const id = next++;
        live.add(id);
        return () => live.delete(id);
      },
      now: () => 0,
    };
    const { server } = await start({ timers: counting });
    const closed = () => new Promise<void>((resolve) => { const poll = () => (live.size === 0 ? resolve() : setTimeout(poll, 5)); poll(); });
    for (let i = 0; i < 10; i++) {
      const c = await rawClient(server.port);
      expect(await c.reply()).toMatch(/^220 /);
      if (i % 2 === 0) {
        c.send('QUIT');
        expect(await c.reply()).toMatch(/^221 /);
      }
      c.socket.destroy();
      await closed();
      expect(live.size).toBe(0);
    }
    expect(next).toBe(10);
  });

  it('takes 200 sessions in a row (no fixed wait, no look-up)', async () => {
    const { server } = await start();
    for (let i = 0; i < 200; i++) {
      const c = await rawClient(server.port);
      expect(await c.reply()).toMatch(/^220 /);
      c.send('QUIT');
      expect(await c.reply()).toMatch(/^221 /);
      c.socket.destroy();
    }
  });

  it('numbers its sessions in order, so a seeded lab\'s server log names them alike in every run', async () => {
    const cids: string[] = [];
    const { server } = await start({ onLog: (l) => cids.push(l.cid) });
    for (let i = 0; i < 3; i++) {
      const client = await rawClient(server.port);
      await client.reply();
      client.send('QUIT');
      await client.reply();
      await client.closed;
    }
    // smtp-server's own ids are 10 random octets; these are 1, 2, 3 in its 16-digit form.
    expect([...new Set(cids)]).toEqual(['0000000000000001', '0000000000000002', '0000000000000003']);
  });

  it('logs every command and every reply line on its own, without line breaks, in order', async () => {
    const lines: string[] = [];
    const { server } = await start({ onLog: (l) => lines.push(`${l.dir} ${l.text}`) });
    const client = await rawClient(server.port);
    await client.reply();
    client.send('EHLO client.example');
    const ehlo = await client.reply();
    client.send('QUIT');
    await client.reply();
    await client.closed;
    // The EHLO reply is one write of several lines: each is a line of the log, as on the wire.
    const replyLines = ehlo.split('\r\n');
    expect(replyLines.length).toBeGreaterThan(1);
    expect(lines).toEqual([
      expect.stringMatching(/^out 220 /),
      'in EHLO client.example',
      ...replyLines.map((l) => `out ${l}`),
      'in QUIT',
      expect.stringMatching(/^out 221 /),
    ]);
    expect(lines.every((l) => !/[\r\n]/.test(l))).toBe(true);
  });
});
