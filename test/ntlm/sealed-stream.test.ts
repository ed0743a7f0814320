import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveSessionKeys } from '../../app/ntlm/keys.ts';
import { sealStream } from '../../app/ntlm/sealed-stream.ts';
import { common, v2 } from './ms-nlmp-vectors.ts';

const keys = deriveSessionKeys(v2.flags, common.randomSessionKey);
const open: net.Socket[] = [];
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** Two ends of a real loopback TCP connection. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const a = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [b] = await accepted;
  await once(a, 'connect');
  for (const s of [a, b]) s.on('error', () => undefined);
  open.push(a, b);
  return [a, b];
}

describe('sealStream', () => {
  it('carries bytes both ways sealed, and looks like an open socket', async () => {
    const [a, b] = await socketPair();
    const client = sealStream(a, keys, 'client');
    const server = sealStream(b, keys, 'server');
    const rawSeen: Buffer[] = [];
    b.on('data', (chunk: Buffer) => rawSeen.push(chunk));
    expect(client.readyState).toBe('open');
    expect(client.remotePort).toBe(b.localPort);

    client.write('EHLO mail.intellinet.example\r\n');
    const [got] = (await once(server, 'data')) as [Buffer];
    expect(got.toString()).toBe('EHLO mail.intellinet.example\r\n');
    expect(Buffer.concat(rawSeen).includes('EHLO')).toBe(false);

    server.write('250 mail.ntsol.example\r\n');
    const [back] = (await once(client, 'data')) as [Buffer];
    expect(back.toString()).toBe('250 mail.ntsol.example\r\n');

    client.destroy();
    expect(client.readyState).toBe('closed');
  });

  it('a client stream fails with an error on a bad buffer', async () => {
    const [a, b] = await socketPair();
    const client = sealStream(a, keys, 'client');
    const errored = once(client, 'error') as Promise<[Error]>;
    b.write(Buffer.from('00000014' + '00'.repeat(20), 'hex'));
    const [err] = await errored;
    expect(err.message).toBe('NTLM security layer: signature is not an NTLMSSP_MESSAGE_SIGNATURE version 1');
  });

  it('a server stream told to close ends quietly and reports the failure', async () => {
    const [a, b] = await socketPair();
    const failures: string[] = [];
    const server = sealStream(b, keys, 'server', { onFailure: 'close', onLayerError: (e) => failures.push(e) });
    server.on('error', () => failures.push('unexpected error event'));
    const closed = once(server, 'close');
    a.write(Buffer.from('00000003ffffff', 'hex'));
    await closed;
    expect(failures).toEqual(['security layer buffer of 3 bytes is shorter than its signature']);
  });
});
