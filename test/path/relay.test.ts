/**
 * The recording relay on 127.0.0.1 (app/path/relay.ts): what it reports to the tap, per point and
 * in order, for a `direct` hop (one point, `pass`) and for a middlebox with points on both sides
 * that changes and delays bytes (docs/lab.md, "Paths and capture points": every hop is tapped).
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import { startRelay, type Relay } from '../../app/path/relay.ts';
import { passPipeline, type Pipeline } from '../../app/path/pipeline.ts';
import { realTimers, type Timers } from '../../app/base/timers.ts';
import type { CapturePoint, TapConnection, TapRecord, TapSink } from '../../app/capture/tap.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

type Seen = { kind: 'open' | 'close'; c: TapConnection } | { kind: 'data'; r: Omit<TapRecord, 'seq'> };

function sink(): { tap: TapSink; seen: Seen[] } {
  const seen: Seen[] = [];
  // Closes are snapshots: the relay fills in the same object it opened.
  return { seen, tap: { open: (c) => seen.push({ kind: 'open', c: { ...c } }), data: (r) => seen.push({ kind: 'data', r }), close: (c) => seen.push({ kind: 'close', c: { ...c } }) } };
}

/** A server that greets, answers `QUIT` with `221` and closes: the bench's session (app/bench/quit-session.ts). */
async function quitServer(): Promise<{ port: number; peers: number[] }> {
  const peers: number[] = [];
  const server = net.createServer((s) => {
    peers.push(s.remotePort ?? 0);
    s.write('220 hi\r\n');
    s.on('data', (b) => {
      if (b.toString().startsWith('QUIT')) s.end('221 bye\r\n');
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, peers };
}

/** Connect, read the greeting, send `QUIT`, read until the relay closes; the client's source port. */
async function quit(port: number): Promise<{ localPort: number; text: string }> {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  let localPort = 0;
  socket.on('connect', () => (localPort = socket.localPort ?? 0));
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (b) => {
      text += b.toString();
      if (text === '220 hi\r\n') socket.write('QUIT\r\n');
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  return { localPort, text };
}

const point = (id: string): CapturePoint => ({ id, label: id, path: 'p', roles: [] });

/** Real timers that fire a little late, as a busy event loop's do, so a delay has passed when its bytes go. */
const lateTimers: Timers = { now: realTimers.now, setTimeout: (fn, ms) => realTimers.setTimeout(fn, ms + 2) };

async function relay(pipeline: () => Pipeline, clientPoints: CapturePoint[], serverPoints: CapturePoint[], target: number, tap: TapSink) {
  let ephemeral = 50000;
  let conns = 0;
  const upstreams: [string, number, number][] = [];
  const r: Relay = await startRelay({
    target: { host: '127.0.0.1', port: target }, createPipeline: pipeline, clientPoints, serverPoints,
    clientEndpoint: () => ({ ip: '192.0.2.1', port: ephemeral++ }), serverEndpoint: { ip: '198.51.100.1', port: 25 },
    tap, timers: lateTimers, labTime: () => 1_000, elapsed: () => 5, nextConnId: () => `c${++conns}`,
    onUpstream: (conn, local, remote) => upstreams.push([conn, local, remote]),
  });
  cleanup.push(() => r.close());
  return { relay: r, upstreams, ephemeral: () => ephemeral };
}

describe('startRelay', () => {
  test('a direct hop: one point, every chunk once, the loopback ports that name both sockets', async () => {
    const server = await quitServer();
    const { tap, seen } = sink();
    const direct = point('direct');
    const r = await relay(() => passPipeline(), [direct], [direct], server.port, tap);
    const client = await quit(r.relay.port);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(client.text).toBe('220 hi\r\n221 bye\r\n');
    expect(seen.map((s) => (s.kind === 'data' ? `${s.r.point} ${s.r.dir} ${s.r.bytes.toString().trim()}` : `${s.kind} ${s.c.point}`))).toEqual([
      'open direct', 'direct s2c 220 hi', 'direct c2s QUIT', 'direct s2c 221 bye', 'close direct',
    ]);
    const open = seen[0].kind === 'open' ? seen[0].c : undefined;
    expect(open).toEqual({
      conn: 'c1', point: 'direct', client: { ip: '192.0.2.1', port: 50000 }, server: { ip: '198.51.100.1', port: 25 },
      openedAt: 5, labTime: 1_000, loopbackClientPort: client.localPort, loopbackServerPort: r.relay.port, side: 'client',
    });
    const close = seen[4].kind === 'close' ? seen[4].c : undefined;
    expect(close).toMatchObject({ closedAt: 5, closedBy: 'server' });
    expect(close?.closeReason).toBeUndefined();
    // A record carries these fields and no others (`marks` present, empty, on a pass hop).
    const first = seen[1].kind === 'data' ? seen[1].r : undefined;
    expect(Object.keys(first ?? {})).toEqual(['conn', 'point', 'dir', 't', 'labTime', 'bytes', 'marks']);
    expect(first?.marks).toBeUndefined();
    // The relay's socket onward: its source port is the one the server saw, and the port it reached.
    expect(r.upstreams).toEqual([['c1', server.peers[0], server.port]]);
  });

  test('a client that sends its commands and then its FIN still reads every reply, and the connection is its to close', async () => {
    // A server that answers each line as it comes, and closes once the client has finished (its FIN).
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      s.write('220 hi\r\n');
      s.on('data', (b) => s.write(b.toString().split('\r\n').filter(Boolean).map((line) => `250 ${line}\r\n`).join('')));
      s.on('end', () => s.end());
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { tap, seen } = sink();
    const direct = point('direct');
    const r = await relay(() => passPipeline(), [direct], [direct], (server.address() as net.AddressInfo).port, tap);

    // As `printf 'EHLO x\r\nNOOP\r\n' | nc -N` does: write everything, then half-close.
    const client = net.connect({ host: '127.0.0.1', port: r.relay.port, allowHalfOpen: true });
    let text = '';
    client.on('data', (b) => {
      text += b.toString();
      if (text === '220 hi\r\n') client.end('EHLO x\r\nNOOP\r\n');
    });
    await new Promise((resolve) => client.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Node's default (allowHalfOpen: false) ended the client's side at its FIN: both replies were lost.
    expect(text).toBe('220 hi\r\n250 EHLO x\r\n250 NOOP\r\n');
    const close = seen.at(-1);
    expect(close?.kind === 'close' && close.c.closedBy).toBe('client');
  });

  test('a middlebox: the client side records what was sent, the far side what passed, with marks and origins, in order', async () => {
    const server = await quitServer();
    const { tap, seen } = sink();
    const [sent, wire, received] = [point('sent'), point('wire'), point('received')];
    // Upper-cases what the client sends (marked), and holds back every reply by 5 ms: the `221`
    // the server writes just before it closes still reaches the client, ahead of the close.
    const pipeline = (): Pipeline => ({
      open: () => [],
      push: (dir, bytes) => dir === 'c2s'
        ? [{ type: 'deliver', dir, bytes: Buffer.from(bytes.toString().toUpperCase()), marks: [{ stage: 'up', action: 'changed', original: bytes }] }]
        : [{ type: 'deliver', dir, bytes, delayMs: 5 }],
      end: () => [],
    });
    const r = await relay(pipeline, [sent, wire], [wire, received], server.port, tap);
    const client = await quit(r.relay.port);
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(client.text).toBe('220 hi\r\n221 bye\r\n');
    const rows = seen.map((s) => (s.kind === 'data'
      ? `${s.r.point} ${s.r.dir} ${s.r.bytes.toString().trim()}${s.r.marks ? ` [${s.r.marks.map((m) => `${m.stage}:${m.original}`.trim()).join()}]` : ''}${s.r.origin !== undefined ? ` @${s.r.origin}` : ''}`
      : `${s.kind} ${s.c.point} ${s.c.side}${s.c.closedBy ? ` ${s.c.closedBy}` : ''}`));
    expect(rows).toEqual([
      'open sent client', 'open wire client', 'open received server',
      'received s2c 220 hi', 'sent s2c 220 hi @0', 'wire s2c 220 hi @0',
      'sent c2s QUIT', 'wire c2s QUIT', 'received c2s QUIT [up:QUIT] @0',
      'received s2c 221 bye', 'sent s2c 221 bye @8', 'wire s2c 221 bye @8',
      'close sent client server', 'close wire client server', 'close received server server',
    ]);
    // One simulated client endpoint per connection, shared by its points; the relay asks for one
    // per point (each later connection's ephemeral port moves on by the number of points).
    const opens = seen.flatMap((s) => (s.kind === 'open' ? [s.c] : []));
    expect(opens.map((c) => c.client.port)).toEqual([50000, 50000, 50000]);
    expect(r.ephemeral()).toBe(50003);
    expect(new Set(opens.map((c) => `${c.loopbackClientPort}>${c.loopbackServerPort}`))).toEqual(new Set([`${client.localPort}>${r.relay.port}`]));
  });

  test('a refusal at open: a reset to the client, every point closed as refused with the stage\'s reason', async () => {
    const server = await quitServer();
    const { tap, seen } = sink();
    const [sent, received] = [point('sent'), point('received')];
    const block = (): Pipeline => ({ open: () => [{ type: 'close', how: 'reset', reason: 'deny tcp' }], push: () => [], end: () => [] });
    const r = await relay(block, [sent], [received], server.port, tap);
    const socket = net.connect(r.relay.port, '127.0.0.1');
    const error = await new Promise<string>((resolve) => {
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
      socket.on('close', () => resolve('closed'));
    });
    expect(['ECONNRESET', 'closed']).toContain(error);
    expect(seen.map((s) => `${s.kind} ${s.kind === 'data' ? s.r.point : `${s.c.point} ${s.c.closedBy ?? ''} ${s.c.closeReason ?? ''}`}`.trim())).toEqual([
      'open sent', 'open received', 'close sent refused deny tcp', 'close received refused deny tcp',
    ]);
    expect(r.upstreams).toEqual([]);
    expect(server.peers).toEqual([]);
  });

  test('a stage that throws resets its connection (nothing passes on) and the relay serves the next one', async () => {
    const server = await quitServer();
    const { tap, seen } = sink();
    const direct = point('direct');
    let calls = 0;
    // The first connection's stage throws on the client's first bytes; the second's passes them.
    const faulty = (): Pipeline => {
      const pass = passPipeline();
      const mine = ++calls;
      return { ...pass, push: (dir, bytes) => {
        if (mine === 1 && dir === 'c2s') throw new Error('boom');
        return pass.push(dir, bytes);
      } };
    };
    const r = await relay(faulty, [direct], [direct], server.port, tap);
    const socket = net.connect(r.relay.port, '127.0.0.1');
    socket.on('data', () => socket.write('QUIT\r\n'));
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNRESET');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const close = seen.find((x) => x.kind === 'close');
    expect(close?.kind === 'close' && close.c).toMatchObject({ closedBy: 'reset', closeReason: 'the middlebox failed: boom' });
    // The QUIT never reached the server: a broken middlebox fails closed.
    expect(seen.some((x) => x.kind === 'data' && x.r.bytes.toString().startsWith('221'))).toBe(false);

    const next = await quit(r.relay.port);
    expect(next.text).toBe('220 hi\r\n221 bye\r\n');
  });
});
