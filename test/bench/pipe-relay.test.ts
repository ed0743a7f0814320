import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startPipeRelay } from '../../app/bench/pipe-relay.ts';
import { openAndQuit } from '../../app/bench/quit-session.ts';
import { bareSmtpServer, closedPort } from '../helpers/lab.ts';

/** Everything a socket reads until the far side's FIN. */
async function readAll(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (b: Buffer) => chunks.push(b));
  await once(socket, 'end');
  return Buffer.concat(chunks).toString('latin1');
}

describe('the bench\'s bare relay', () => {
  it('carries an SMTP session to the host behind it, on 127.0.0.1 only', async () => {
    const server = await bareSmtpServer();
    const relay = await startPipeRelay(server.port);
    try {
      expect(await openAndQuit(relay.port)).toBe(true);
      // Not reachable on another address of this machine: it listens on loopback alone.
      const probe = net.connect({ host: '127.0.0.2', port: relay.port });
      const [error] = (await once(probe, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
      // Refused on Linux, where all of 127/8 is this machine; elsewhere the address may not exist at all.
      expect(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH']).toContain(error.code);
    } finally {
      await relay.close();
      await server.close();
    }
  });

  it('passes bytes both ways unchanged, and a FIN as a FIN: the far side still answers after the client half-closes', async () => {
    // An echo server that answers only once the client has finished sending (a half-close).
    const echo = net.createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = [];
      s.on('data', (b: Buffer) => got.push(b));
      // ASCII letters upper-cased, every other byte as it came.
      s.on('end', () => s.end(Buffer.concat(got).map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b))));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const relay = await startPipeRelay((echo.address() as net.AddressInfo).port);
    try {
      const client = net.connect({ host: '127.0.0.1', port: relay.port, allowHalfOpen: true });
      await once(client, 'connect');
      const reply = readAll(client);
      client.write('ehlo one\r\n');
      client.end(Buffer.from('\x00\xff two\r\n', 'latin1'));
      expect(await reply).toBe('EHLO ONE\r\n\x00\xff TWO\r\n');
    } finally {
      await relay.close();
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  it('drops the client when nothing listens behind it, and keeps listening', async () => {
    const relay = await startPipeRelay(await closedPort());
    try {
      for (let i = 0; i < 2; i++) {
        const client = net.connect({ host: '127.0.0.1', port: relay.port });
        client.on('error', () => undefined);
        await once(client, 'close');
      }
      expect(await openAndQuit(relay.port)).toBe(false);
    } finally {
      await relay.close();
    }
  });
});
