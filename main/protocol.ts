/**
 * The renderer is served from `postcard://app/`, a private standard scheme, instead of file://
 * (Electron security checklist: "use a custom protocol"): only files of the built renderer are
 * reachable, and every response carries the strict Content-Security-Policy — no remote content,
 * no inline script, no network at all (`connect-src 'none'`; the lab talks through IPC).
 */
import fs from 'node:fs';
import path from 'node:path';
import { protocol } from 'electron';
import { contentSecurityPolicy, resolveStatic, securityHeaders } from '../app/bridge/static.ts';
import { APP_HOST, APP_SCHEME } from './channels.ts';

export const APP_CSP = contentSecurityPolicy(["'none'"]);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Must run before `app` is ready: the scheme behaves like https (secure, standard origin). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false, stream: false } },
  ]);
}

/** The response for one request to the app scheme (exported for tests). */
export function appResponse(url: string, rendererDir: string): Response {
  const headers = securityHeaders(APP_CSP);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new Response('Bad Request', { status: 400, headers });
  }
  const file = parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST ? resolveStatic(rendererDir, parsed.pathname) : undefined;
  let body: Buffer | undefined;
  try {
    body = file && fs.statSync(file).isFile() ? fs.readFileSync(file) : undefined;
  } catch {
    body = undefined;
  }
  if (!file || !body) return new Response('Not Found', { status: 404, headers });
  return new Response(new Uint8Array(body), { status: 200, headers: { ...headers, 'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' } });
}

export function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => appResponse(request.url, rendererDir));
}
