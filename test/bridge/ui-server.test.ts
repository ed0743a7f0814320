import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startUiServer, type UiServer } from '../../app/bridge/ui-server.ts';
import { ApiSession } from '../../app/api/session.ts';
import { SCENARIOS } from '../api/helpers.ts';
import { upgrade } from '../classroom/helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(): Promise<{ server: UiServer; session: ApiSession }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-ui-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Postcard Lab</title>');
  fs.writeFileSync(path.join(dir, 'app.js'), 'export {};');
  const session = new ApiSession({ scenariosDir: SCENARIOS });
  const server = await startUiServer({ port: 0, rendererDir: dir, session });
  tokenCookie = () => `${server.cookieName}=${server.token}`;
  cleanup.push(async () => {
    await server.close();
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, session };
}

interface GetOptions {
  method?: string;
  host?: string;
  /** A `Cookie` header; by default the token's cookie, as a browser that opened the printed URL sends it. */
  cookie?: string | null;
  origin?: string;
}

/** The cookie of `server`'s token, as the first page load sets it. */
let tokenCookie = (_server?: UiServer): string | null => null;

function get(port: number, urlPath: string, options: GetOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.host) headers.host = options.host;
    if (options.origin) headers.origin = options.origin;
    const cookie = options.cookie === undefined ? tokenCookie() : options.cookie;
    if (cookie) headers.cookie = cookie;
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: options.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the UI server (postcard-lab serve)', () => {
  it('listens on 127.0.0.1 only and serves the renderer with a strict CSP naming only its own socket', async () => {
    const { server } = await start();
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}/`);
    const r = await get(server.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Postcard Lab</title>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain(`connect-src ws://127.0.0.1:${server.port}/ws ws://localhost:${server.port}/ws;`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect((await get(server.port, '/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('refuses other methods, missing files, escapes from its folder and foreign Host headers', async () => {
    const { server } = await start();
    expect((await get(server.port, '/', { method: 'POST' })).status).toBe(405);
    expect((await get(server.port, '/nope.js')).status).toBe(404);
    expect((await get(server.port, '/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await get(server.port, '/', { host: `rebind.attacker.example:${server.port}` })).status).toBe(421);
    expect((await get(server.port, '/', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('runs the postcard scenario over its WebSocket, with events pushed while the steps run', async () => {
    const { server } = await start();
    const { frames, call } = await page(server);
    expect((await call('openScenario', { id: 'postcard' })).ok).toBe(true);
    expect((await call('startLab')).ok).toBe(true);
    const run = await call('runAllSteps');
    expect(run).toMatchObject({ ok: true, result: { next: 3, done: true } });
    const events = frames.filter((f) => f.event).map((f) => f.event);
    expect(events).toEqual(expect.arrayContaining(['session.changed', 'lab.event', 'step.result']));
    expect(events.filter((e) => e === 'step.result')).toHaveLength(3);
  });
});

interface Frame { id?: number; event?: string; ok?: boolean; result?: unknown; payload?: { session?: string; reason?: string } }

/**
 * A page's socket to `server`, as the renderer opens it (same origin, the token's cookie): every
 * frame it received, `call` (a request, answered by its id) and `until` (wait for the frames to
 * satisfy a test).
 */
async function page(server: { port: number; cookieName: string; token: string }) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: `http://127.0.0.1:${server.port}`, headers: { cookie: `${server.cookieName}=${server.token}` } });
  const frames: Frame[] = [];
  const watchers: (() => void)[] = [];
  const waiters = new Map<number, (f: unknown) => void>();
  ws.on('message', (d) => {
    const f = JSON.parse(String(d));
    frames.push(f);
    if (typeof f.id === 'number') waiters.get(f.id)?.(f);
    for (const w of [...watchers]) w();
  });
  await new Promise((resolve) => ws.once('open', resolve));
  cleanup.push(async () => { ws.terminate(); });
  let seq = 0;
  const call = (command: string, payload: unknown = {}) => new Promise<{ ok: boolean; result: never }>((resolve) => {
    const id = ++seq;
    waiters.set(id, resolve as (f: unknown) => void);
    ws.send(JSON.stringify({ id, command, payload }));
  });
  const until = (test: () => boolean) => new Promise<void>((resolve) => {
    const check = () => { if (test()) resolve(); };
    watchers.push(check);
    check();
  });
  return { ws, frames, call, until };
}

describe('terminal sessions over the socket', () => {
  it('are the socket\'s own: they close when the page that opened them goes, and another page\'s stay', async () => {
    const { server, session } = await start();
    const a = await page(server), b = await page(server);
    await a.call('openScenario', { id: 'postcard' });
    await a.call('startLab');
    const mine = (await a.call('terminalOpen', { target: 'host:mail.ntsol.example', mode: 'line' })).result as { id: string };
    const theirs = (await b.call('terminalOpen', { target: 'host:mail.ntsol.example', mode: 'line' })).result as { id: string };
    expect(session.terminals.list().map((t) => t.id)).toEqual([mine.id, theirs.id]);

    a.ws.terminate();
    await b.until(() => b.frames.some((f) => f.event === 'terminal.closed' && f.payload?.session === mine.id));
    expect(b.frames.find((f) => f.event === 'terminal.closed')!.payload).toEqual({ session: mine.id, reason: 'the connection that opened it closed' });
    expect(session.terminals.list().map((t) => t.id)).toEqual([theirs.id]);
    expect((await b.call('terminalSend', { session: theirs.id, data: 'EHLO b\r\n' })).ok).toBe(true);
  });
});

describe('downloads of the running lab', () => {
  function getBytes(port: number, urlPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: urlPath, headers: { cookie: tokenCookie() ?? '' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
  }

  it('serves the capture as pcapng and the key log, only while a lab runs and only for our own Host', async () => {
    const { server, session } = await start();
    const none = await get(server.port, '/export/capture.pcapng');
    expect(none.status).toBe(409);
    expect(none.body).toMatch(/no scenario is open/);
    await session.openScenario('starttls-partner');
    await session.startLab();
    await session.runSteps(Number.POSITIVE_INFINITY, true);
    const pcap = await getBytes(server.port, '/export/capture.pcapng');
    expect(pcap.status).toBe(200);
    expect(pcap.headers['content-type']).toBe('application/x-pcapng');
    expect(pcap.headers['content-disposition']).toBe('attachment; filename="starttls-partner.pcapng"');
    expect(pcap.body.readUInt32LE(0)).toBe(0x0a0d0d0a); // pcapng Section Header Block
    // The Decryption Secrets Block: Exchange 5.5 speaks TLS 1.0, whose key log line is CLIENT_RANDOM.
    expect(pcap.body.includes(Buffer.from('CLIENT_RANDOM '))).toBe(true);
    const keylog = await get(server.port, '/export/keylog.txt');
    expect(keylog.body).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m);
    const transcripts = await get(server.port, '/export/transcripts.txt');
    expect(transcripts.headers['content-disposition']).toBe('attachment; filename="starttls-partner-transcripts.txt"');
    expect(transcripts.body).toMatch(/^## as the sender saw it$/m);
    expect(transcripts.body).toMatch(/^-> STARTTLS$/m);
    const report = await get(server.port, '/export/report.html');
    expect(report.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(report.headers['content-disposition']).toBe('attachment; filename="starttls-partner-report.html"');
    expect(report.body).toMatch(/<li class="passed"><span class="mark" aria-hidden="true">✓<\/span> <b>expect<\/b>/);
    // One capture point alone (the packet view's "this point only"); a point the lab lacks is named.
    const point = session.lab.capture.points().find((p) => p.packets > 0)!.id;
    const one = await getBytes(server.port, `/export/capture.pcapng?point=${encodeURIComponent(point)}`);
    expect(one.status).toBe(200);
    expect(one.headers['content-disposition']).toBe(`attachment; filename="starttls-partner-${point.replace(/[^A-Za-z0-9._-]/g, '_')}.pcapng"`);
    expect(one.body.readUInt32LE(0)).toBe(0x0a0d0d0a);
    const missing = await get(server.port, '/export/capture.pcapng?point=nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/^no capture point "nowhere" in this lab \(points: /);
    expect((await get(server.port, '/export/toString')).status).toBe(404);
    expect((await get(server.port, '/export/../../etc/passwd')).status).toBe(404);
    expect((await get(server.port, '/export/capture.pcapng', { host: 'evil.example' })).status).toBe(421);
    expect((await get(server.port, '/export/capture.pcapng', { method: 'POST' })).status).toBe(405);
  });
});

describe('the per-run token (docs/security.md)', () => {
  it('is 256 random bits, new for every server, and in the printed URL', async () => {
    const a = (await start()).server;
    const b = (await start()).server;
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.url).toBe(`http://127.0.0.1:${a.port}/?token=${a.token}`);
    // Cookies ignore ports (RFC 6265 §8.5): each server's cookie carries its own port in the name.
    expect(a.cookieName).toBe(`postcard-lab-${a.port}`);
  });

  it('trades the token in the URL for an HttpOnly, SameSite=Strict cookie and redirects to the URL without it', async () => {
    const { server } = await start();
    const first = await get(server.port, `/?token=${server.token}`, { cookie: null });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(first.headers['set-cookie']).toEqual([`${server.cookieName}=${server.token}; HttpOnly; SameSite=Strict; Path=/`]);
    // Other query parameters stay; a path that would be another host (//evil) does not.
    expect((await get(server.port, `/?a=1&token=${server.token}`, { cookie: null })).headers.location).toBe('/?a=1');
    expect((await get(server.port, `//evil.example/?token=${server.token}`, { cookie: null })).headers.location).toBe('/');
    expect((await get(server.port, `/\\evil.example?token=${server.token}`, { cookie: null })).headers.location).toBe('/');
    const page = await get(server.port, '/', { cookie: `other=1; ${server.cookieName}=${server.token}` });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Postcard Lab</title>');
  });

  it('serves nothing without it, or with a wrong one: 403 with a text that says what to open', async () => {
    const { server, session } = await start();
    await session.openScenario('starttls-partner');
    await session.startLab();
    await session.runSteps(Number.POSITIVE_INFINITY, true);
    const origin = `http://127.0.0.1:${server.port}`;
    for (const urlPath of ['/', '/index.html', '/app.js', '/export/keylog.txt', '/export/capture.pcapng', '/export/transcripts.txt', '/export/report.html', '/export/grid/x.pcapng', '/nope']) {
      const none = await get(server.port, urlPath, { cookie: null, origin });
      expect(none.status, urlPath).toBe(403);
      expect(none.body, urlPath).toMatch(/^Forbidden: this Postcard Lab server needs the token of this run/);
      expect(none.body).not.toContain('CLIENT_RANDOM');
      const wrong = await get(server.port, urlPath, { cookie: `${server.cookieName}=${'A'.repeat(43)}`, origin });
      expect(wrong.status, urlPath).toBe(403);
      expect(wrong.body).toMatch(/wrong token/);
      expect((await get(server.port, `${urlPath}?token=${'B'.repeat(43)}`, { cookie: null })).status).toBe(403);
    }
    // A cookie named for another port (another run of serve) is not this run's.
    expect((await get(server.port, '/', { cookie: `postcard-lab-1=${server.token}` })).status).toBe(403);
    expect((await get(server.port, '/', { method: 'HEAD', cookie: null })).status).toBe(403);
    // The Host check still comes first; with the token the method and traversal checks still hold.
    expect((await get(server.port, '/', { cookie: null, host: `evil.example:${server.port}` })).status).toBe(421);
    expect((await get(server.port, '/export/keylog.txt', { method: 'POST' })).status).toBe(405);
    expect((await get(server.port, `/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
  });

  it('a non-browser process with a forged Origin can neither drive the lab nor download the key log; with the token it can', async () => {
    const { server, session } = await start();
    await session.openScenario('starttls-partner');
    await session.startLab();
    await session.runSteps(Number.POSITIVE_INFINITY, true);
    const socket = `ws://127.0.0.1:${server.port}/ws`;
    const origin = `http://127.0.0.1:${server.port}`;
    const refused = await upgrade(socket, { origin });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/needs the token of this run/);
    expect((await upgrade(`${socket}?token=${'C'.repeat(43)}`, { origin })).body).toMatch(/wrong token/);
    expect((await upgrade(socket, { origin, headers: { cookie: `${server.cookieName}=nope` } })).status).toBe(403);
    // The token does not replace the Origin check: a page of another site with a stolen token is refused too.
    expect((await upgrade(`${socket}?token=${server.token}`, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgrade(`${socket}?token=${server.token}`, { origin })).status).toBe(101);
    expect((await upgrade(socket, { origin, headers: { cookie: `${server.cookieName}=${server.token}` } })).status).toBe(101);

    const keylog = await get(server.port, '/export/keylog.txt', { cookie: null, origin });
    expect(keylog.status).toBe(403);
    expect(keylog.body).not.toMatch(/CLIENT_RANDOM/);
    // With the token in the query a download is served as is (no redirect, no cookie): curl can use it.
    const tokened = await get(server.port, `/export/keylog.txt?token=${server.token}`, { cookie: null });
    expect(tokened.status).toBe(200);
    expect(tokened.headers['set-cookie']).toBeUndefined();
    expect(tokened.body).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m);

    // And with the token it really drives the lab: a command over the socket is answered.
    const ws = new WebSocket(`${socket}?token=${server.token}`, { origin });
    cleanup.push(async () => { ws.terminate(); });
    await new Promise((resolve) => ws.once('open', resolve));
    const answer = new Promise<{ id: number; ok: boolean }>((resolve) => ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.id === 1) resolve(f);
    }));
    ws.send(JSON.stringify({ id: 1, command: 'stopLab', payload: {} }));
    expect(await answer).toMatchObject({ id: 1, ok: true });
    expect(session.snapshot().status).toBe('stopped');
  });
});
