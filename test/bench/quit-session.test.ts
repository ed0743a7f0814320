import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { QuitSession, openAndQuit, type QuitCommand, type QuitEvent } from '../../app/bench/quit-session.ts';
import { bareSmtpServer, closedPort } from '../helpers/lab.ts';

const reply = (code: number, text = 'x'): QuitEvent => ({ type: 'reply', reply: { code, lines: [text], raw: `${code} ${text}` } });

describe('QuitSession (sans-IO)', () => {
  const cases: { name: string; events: QuitEvent[]; commands: QuitCommand[]; phase: string }[] = [
    { name: 'greeting, QUIT, 221', events: [reply(220), reply(221)], commands: [{ type: 'send', line: 'QUIT' }, { type: 'close' }], phase: 'done' },
    { name: '554 instead of a greeting (RFC 5321 §3.1)', events: [reply(554)], commands: [{ type: 'close' }], phase: 'failed' },
    { name: 'QUIT answered with 500', events: [reply(220), reply(500)], commands: [{ type: 'send', line: 'QUIT' }, { type: 'close' }], phase: 'failed' },
    { name: 'closed before the greeting', events: [{ type: 'closed' }], commands: [{ type: 'close' }], phase: 'failed' },
    { name: 'garbage instead of a reply', events: [{ type: 'protocol-error', error: 'malformed reply line' }], commands: [{ type: 'close' }], phase: 'failed' },
    { name: 'nothing after the end', events: [reply(220), reply(221), reply(250), { type: 'closed' }], commands: [{ type: 'send', line: 'QUIT' }, { type: 'close' }], phase: 'done' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = new QuitSession();
      expect(c.events.flatMap((e) => s.handle(e))).toEqual(c.commands);
      expect(s.phase).toBe(c.phase);
      if (c.phase === 'failed') expect(s.error).toBeTruthy();
    });
  }
});

describe('openAndQuit', () => {
  it('completes a session against a real smtp-server on loopback', async () => {
    const server = await bareSmtpServer();
    try {
      expect(await openAndQuit(server.port)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('reports failure when nothing listens, or the listener does not speak SMTP', async () => {
    expect(await openAndQuit(await closedPort())).toBe(false);
    const junk = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((r) => junk.listen(0, '127.0.0.1', () => r()));
    try {
      expect(await openAndQuit((junk.address() as net.AddressInfo).port)).toBe(false);
    } finally {
      await new Promise<void>((r) => junk.close(() => r()));
    }
  });
});
