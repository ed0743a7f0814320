import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock.ts'));
const { protocol, resetElectronMock } = await import('./electron-mock.ts');
const { appResponse, registerAppScheme, serveAppScheme, APP_CSP } = await import('../../main/protocol.ts');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-protocol-'));
fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Postcard Lab</title>');
fs.writeFileSync(path.join(os.tmpdir(), 'postcard-secret.txt'), 'secret');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => resetElectronMock());

describe('the app scheme', () => {
  it('is registered as a secure standard scheme before the app is ready', () => {
    registerAppScheme();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([expect.objectContaining({ scheme: 'postcard', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
  });

  it('serves the renderer with a strict CSP: no remote content, no inline script, no network', async () => {
    serveAppScheme(dir);
    const r = await protocol.handlers.get('postcard')!({ url: 'postcard://app/index.html' });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>Postcard Lab</title>');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toBe(APP_CSP);
    expect(csp.split('; ')).toEqual(expect.arrayContaining(["default-src 'none'", "script-src 'self'", "connect-src 'none'", "frame-ancestors 'none'"]));
    expect(csp).not.toMatch(/unsafe-|https?:|\*/);
  });

  it('serves nothing outside the renderer folder or for another host', async () => {
    expect(appResponse('postcard://app/%2e%2e/postcard-secret.txt', dir).status).toBe(404);
    expect(appResponse('postcard://app/../postcard-secret.txt', dir).status).toBe(404);
    expect(appResponse('postcard://other/index.html', dir).status).toBe(404);
    expect(appResponse('not a url', dir).status).toBe(400);
    expect(appResponse('postcard://app/missing.js', dir).headers.get('content-security-policy')).toBe(APP_CSP);
  });
});
