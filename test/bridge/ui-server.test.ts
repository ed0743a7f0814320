import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startUiServer, type UiServer } from '../../app/bridge/ui-server.ts';
import { ApiSession } from '../../app/api/session.ts';
import { SCENARIOS } from '../api/helpers.ts';

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
  cleanup.push(async () => {
    await server.close();
    await session.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, session };
}

function get(port: number, urlPath: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: options.method ?? 'GET', headers: options.host ? { host: options.host } : {} }, (res) => {
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
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
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
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin: `http://127.0.0.1:${server.port}` });
    const frames: { id?: number; event?: string; ok?: boolean; result?: unknown }[] = [];
    const waiters = new Map<number, (f: unknown) => void>();
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      frames.push(f);
      if (typeof f.id === 'number') waiters.get(f.id)?.(f);
    });
    await new Promise((resolve) => ws.once('open', resolve));
    cleanup.push(async () => { ws.terminate(); });
    let seq = 0;
    const call = (command: string, payload: unknown = {}) => new Promise<{ ok: boolean; result: never }>((resolve) => {
      const id = ++seq;
      waiters.set(id, resolve as (f: unknown) => void);
      ws.send(JSON.stringify({ id, command, payload }));
    });
    expect((await call('openScenario', { id: 'postcard' })).ok).toBe(true);
    expect((await call('startLab')).ok).toBe(true);
    const run = await call('runAllSteps');
    expect(run).toMatchObject({ ok: true, result: { next: 3, done: true } });
    const events = frames.filter((f) => f.event).map((f) => f.event);
    expect(events).toEqual(expect.arrayContaining(['session.changed', 'lab.event', 'step.result']));
    expect(events.filter((e) => e === 'step.result')).toHaveLength(3);
  });
});

describe('downloads of the running lab', () => {
  function getBytes(port: number, urlPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
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
    expect(report.body).toMatch(/<li class="passed"><b>expect<\/b>/);
    expect((await get(server.port, '/export/toString')).status).toBe(404);
    expect((await get(server.port, '/export/../../etc/passwd')).status).toBe(404);
    expect((await get(server.port, '/export/capture.pcapng', { host: 'evil.example' })).status).toBe(421);
    expect((await get(server.port, '/export/capture.pcapng', { method: 'POST' })).status).toBe(405);
  });
});
