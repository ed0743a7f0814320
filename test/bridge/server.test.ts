import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachBridge, type Bridge } from '../../app/bridge/server.ts';
import { Emitter } from '../../app/base/emitter.ts';
import type { EventMessage } from '../../app/api/contract.ts';
import type { Dispatch } from '../../app/api/dispatch.ts';
import { validateRequest } from '../../app/api/contract.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const dispatch: Dispatch = async (command, payload) => {
  const checked = validateRequest(command, payload);
  return checked.ok ? { ok: true, result: { ran: checked.command, payload: checked.payload } } : checked;
};

async function start(): Promise<{ port: number; origin: string; events: Emitter<EventMessage>; bridge: Bridge }> {
  const server = http.createServer((_req, res) => res.end());
  const events = new Emitter<EventMessage>();
  let port = 0;
  const bridge = attachBridge({
    server, path: '/ws', connect: () => ({ dispatch }), subscribe: (fn) => events.subscribe(fn),
    allowHost: (host) => host === `127.0.0.1:${port}`,
    allowOrigin: (origin) => origin === `http://127.0.0.1:${port}`,
    maxPayload: 64 * 1024,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
  cleanup.push(async () => {
    await bridge.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port, origin: `http://127.0.0.1:${port}`, events, bridge };
}

interface Client {
  ws: WebSocket;
  next(): Promise<unknown>;
}

function connect(port: number, origin?: string): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, origin ? { origin } : {});
  const inbox: unknown[] = [];
  const waiting: ((m: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  ws.on('error', () => undefined);
  cleanup.push(async () => {
    if (ws.readyState === WebSocket.OPEN) ws.terminate();
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, next: () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiting.push(r))) }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
  });
}

/** The HTTP status an upgrade is refused with (or 101 if it is accepted). */
function upgradeStatus(url: string, options: WebSocket.ClientOptions): Promise<number> {
  const ws = new WebSocket(url, options);
  ws.on('error', () => undefined);
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  });
}

describe('the WebSocket bridge on 127.0.0.1:0', () => {
  it('answers garbage with an error and keeps the connection for the next request', async () => {
    const { port, origin } = await start();
    const c = await connect(port, origin);
    c.ws.send('this is not json');
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'bad-json' } });
    c.ws.send(JSON.stringify({ id: 1, command: 'formatDisk', payload: {} }));
    expect(await c.next()).toMatchObject({ id: 1, ok: false, error: { code: 'unknown-command' } });
    c.ws.send(JSON.stringify({ id: 2, command: 'openScenario', payload: { id: 42 } }));
    expect(await c.next()).toMatchObject({ id: 2, ok: false, error: { code: 'invalid-payload', message: expect.stringContaining('payload.id') } });
    c.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'bad-message', message: expect.stringContaining('binary') } });
    // Still the same, open connection:
    c.ws.send(JSON.stringify({ id: 3, command: 'openScenario', payload: { id: 'postcard' } }));
    expect(await c.next()).toEqual({ id: 3, ok: true, result: { ran: 'openScenario', payload: { id: 'postcard' } } });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('pushes events to every connected client', async () => {
    const { port, origin, events, bridge } = await start();
    const a = await connect(port, origin);
    const b = await connect(port, origin);
    expect(bridge.clients).toBe(2);
    events.emit({ event: 'session.changed', payload: { scenario: 'postcard', status: 'running' } });
    const expected = { event: 'session.changed', payload: { scenario: 'postcard', status: 'running' } };
    expect(await a.next()).toEqual(expected);
    expect(await b.next()).toEqual(expected);
  });

  it('refuses an upgrade from another origin, without an origin, or on another path', async () => {
    const { port, origin } = await start();
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/ws`, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/ws`, { origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/ws`, {})).toBe(403);
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/other`, { origin })).toBe(404);
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/ws`, { origin })).toBe(101);
  });

  it('refuses an upgrade whose Host is not our address (DNS rebinding)', async () => {
    const { port, origin } = await start();
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/ws`, { origin, headers: { host: `attacker.example:${port}` } })).toBe(421);
  });

  it('closes only the connection that sends an oversized frame; the bridge keeps serving', async () => {
    const { port, origin } = await start();
    const big = await connect(port, origin);
    const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
    big.ws.send(JSON.stringify({ id: 1, command: 'listScenarios', payload: { pad: 'x'.repeat(100 * 1024) } }));
    expect(await closed).toBe(1009);
    const fresh = await connect(port, origin);
    fresh.ws.send(JSON.stringify({ id: 2, command: 'listScenarios' }));
    expect(await fresh.next()).toMatchObject({ id: 2, ok: true });
  });
});
