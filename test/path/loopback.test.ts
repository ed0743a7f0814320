/**
 * The profiles against real SMTP software on loopback: smtp-server (the lab's receiving side) and
 * nodemailer (an interop client), through a proxy that drives the profile's pipeline.
 */
import { afterEach, describe, expect, test } from 'vitest';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { createRng } from '../../app/base/rng.ts';
import { createProfilePipeline } from '../../app/path/profiles.ts';
import { startProxy } from './loopback-proxy.ts';
import type { TestProxy } from './loopback-proxy.ts';

interface Received {
  secure: boolean;
  message: string;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function startServer(received: Received[]): Promise<number> {
  const server = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ secure: session.secure, message: Buffer.concat(chunks).toString() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.server.address() as AddressInfo).port;
}

async function through(profile: unknown, serverPort: number): Promise<TestProxy> {
  let n = 0;
  const proxy = await startProxy(serverPort, () => createProfilePipeline(profile, { rng: createRng(1), conn: `c${++n}` }));
  cleanup.push(() => proxy.close());
  return proxy;
}

const send = (port: number, options: object = {}) =>
  nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, tls: { rejectUnauthorized: false }, ...options })
    .sendMail({ from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Trial results', text: 'Hi Sean, canary-7f3a' });

describe('profiles against smtp-server and nodemailer on 127.0.0.1', () => {
  test('pass: the client upgrades to TLS as the server offers it', async () => {
    const received: Received[] = [];
    const proxy = await through('pass', await startServer(received));
    await send(proxy.port);
    expect(received).toHaveLength(1);
    expect(received[0].secure).toBe(true);
  });

  test('asa: STARTTLS is masked, so an opportunistic client sends the message in cleartext', async () => {
    const received: Received[] = [];
    const proxy = await through('asa', await startServer(received));
    const info = await send(proxy.port);
    expect(info.accepted).toEqual(['sean@ntsol.example']);
    expect(received).toHaveLength(1);
    expect(received[0].secure).toBe(false);
    expect(received[0].message).toContain('canary-7f3a');
  });

  test('strip-starttls: a client that requires TLS refuses to send; nothing reaches the server', async () => {
    const received: Received[] = [];
    const proxy = await through('strip-starttls', await startServer(received));
    await expect(send(proxy.port, { requireTLS: true })).rejects.toThrow();
    expect(received).toHaveLength(0);
  });

  test('block: the connection is refused', async () => {
    const received: Received[] = [];
    const proxy = await through({ profile: 'pass', before: ['block'] }, await startServer(received));
    await expect(send(proxy.port)).rejects.toThrow();
    expect(received).toHaveLength(0);
  });
});
