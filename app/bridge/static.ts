/**
 * Serving the built renderer to a browser: files from one folder only, GET and HEAD only, and the
 * headers that keep the page to itself — a Content-Security-Policy with no remote content and a
 * `connect-src` naming only our own WebSocket, plus nosniff, no referrer, no framing. Requests whose
 * Host is not our own address are refused (DNS rebinding would otherwise let a remote page read
 * the UI as if it were same-origin).
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page's policy: our own scripts and styles, our own socket, nothing else (CSP Level 3). */
export function contentSecurityPolicy(socketOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${socketOrigins.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/** The file a URL path names inside `root`, or undefined when it would leave it. */
export function resolveStatic(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split(/[\\/]/).includes('..')) return undefined;
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const full = path.resolve(root, rel);
  const base = path.resolve(root);
  return full.startsWith(base + path.sep) ? full : undefined;
}

export interface StaticOptions {
  root: string;
  headers(): Record<string, string>;
  allowHost(host: string | undefined): boolean;
}

export function staticHandler(o: StaticOptions): http.RequestListener {
  return (req, res) => {
    const send = (status: number, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...o.headers(), 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!o.allowHost(req.headers.host)) return send(421, 'Misdirected Request: this server answers only for its own address\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://static');
    const file = resolveStatic(o.root, url.pathname);
    let data: Buffer | undefined;
    try {
      data = file && fs.statSync(file).isFile() ? fs.readFileSync(file) : undefined;
    } catch {
      data = undefined;
    }
    if (!file || !data) return send(404, 'Not Found\n');
    res.writeHead(200, { ...o.headers(), 'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': String(data.length) });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
}
