/**
 * The browser front-end's server (`postcard-lab serve`): one HTTP server on 127.0.0.1 only,
 * serving the built renderer and, on `/ws`, the WebSocket bridge to an `ApiSession`.
 *
 *   http://127.0.0.1:P/        static renderer files, strict CSP (static.ts)
 *   ws://127.0.0.1:P/ws        the contract (server.ts), Origin must be http://127.0.0.1:P
 *   http://127.0.0.1:P/export/ the running lab's pcapng and key log (exports.ts)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiSession } from '../api/session.ts';
import { createHandlers } from '../api/handlers.ts';
import { createDispatch } from '../api/dispatch.ts';
import { attachBridge } from './server.ts';
import { EXPORT_PREFIX, exportHandler } from './exports.ts';
import { contentSecurityPolicy, securityHeaders, staticHandler } from './static.ts';

export const SOCKET_PATH = '/ws';

export interface UiServerOptions {
  /** 0 picks a free port. */
  port: number;
  rendererDir: string;
  session: ApiSession;
}

export interface UiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  let port = 0;
  const hosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowHost = (host: string | undefined) => host !== undefined && hosts().includes(host.toLowerCase());
  const allowOrigin = (origin: string | undefined) => origin !== undefined && hosts().some((h) => origin.toLowerCase() === `http://${h}`);
  const headers = () => securityHeaders(contentSecurityPolicy(hosts().map((h) => `ws://${h}${SOCKET_PATH}`)));

  const statics = staticHandler({ root: o.rendererDir, headers, allowHost });
  const exports = exportHandler(o.session, headers);
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://ui').pathname;
    // Host and method are checked as for every static file; only then the export.
    const allowed = allowHost(req.headers.host) && (req.method === 'GET' || req.method === 'HEAD');
    if (allowed && pathname.startsWith(EXPORT_PREFIX)) return exports(req, res, pathname);
    statics(req, res);
  });
  const bridge = attachBridge({
    server, path: SOCKET_PATH, allowOrigin, allowHost,
    dispatch: createDispatch(createHandlers(o.session)),
    subscribe: (fn) => o.session.events.subscribe(fn),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // 127.0.0.1 only (SPEC §10): the lab is never reachable from another machine.
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      await bridge.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
