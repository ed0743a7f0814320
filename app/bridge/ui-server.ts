/**
 * The browser front-end's server (`postcard-lab serve`): one HTTP server on 127.0.0.1 only,
 * serving the built renderer and, on `/ws`, the WebSocket bridge to an `ApiSession`.
 *
 *   http://127.0.0.1:P/        static renderer files, strict CSP (static.ts)
 *   ws://127.0.0.1:P/ws        the contract (server.ts), Origin must be http://127.0.0.1:P
 *   http://127.0.0.1:P/export/ the running lab's pcapng and key log (exports.ts)
 *
 * Every request and upgrade needs the run's token (docs/security.md "The per-run token"): the URL
 * `serve` prints carries it (`/?token=…`); the first page load trades it for an HttpOnly,
 * SameSite=Strict cookie and is redirected to the same address without it. A request with neither
 * a valid cookie nor a valid `?token=` gets 403 and nothing else — so a local process that forges
 * an Origin header still cannot drive the lab or download its key log.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiSession } from '../api/session.ts';
import { createHandlers } from '../api/handlers.ts';
import { createDispatch } from '../api/dispatch.ts';
import { attachBridge } from './server.ts';
import { EXPORT_PREFIX, exportHandler } from './exports.ts';
import { contentSecurityPolicy, securityHeaders, staticHandler } from './static.ts';
import { cookieValue, newToken, sameToken } from './tokens.ts';

export const SOCKET_PATH = '/ws';
/** The query parameter that carries the token (`/?token=…`, `/ws?token=…`, `/export/…?token=…`). */
export const TOKEN_PARAM = 'token';

const NO_TOKEN = 'Forbidden: this Postcard Lab server needs the token of this run. Open the address `postcard-lab serve` printed (http://127.0.0.1:PORT/?token=...), or add ?token=... to this one.\n';
const WRONG_TOKEN = 'Forbidden: wrong token for this Postcard Lab server (an earlier run\'s address?). Open the address this run of `postcard-lab serve` printed.\n';

export interface UiServerOptions {
  /** 0 picks a free port. */
  port: number;
  rendererDir: string;
  session: ApiSession;
  /** The run's secret; a fresh one (256 bits) when not given. Tests pass their own. */
  token?: string;
}

export interface UiServer {
  /** The address to open: `http://127.0.0.1:P/?token=…`. */
  url: string;
  /** The same address without the token: `http://127.0.0.1:P/`. */
  origin: string;
  port: number;
  token: string;
  /** The name of the cookie the first page load sets (per port: cookies ignore ports, RFC 6265 §8.5). */
  cookieName: string;
  close(): Promise<void>;
}

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  let port = 0;
  const hosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowHost = (host: string | undefined) => host !== undefined && hosts().includes(host.toLowerCase());
  const allowOrigin = (origin: string | undefined) => origin !== undefined && hosts().some((h) => origin.toLowerCase() === `http://${h}`);
  const headers = () => securityHeaders(contentSecurityPolicy(hosts().map((h) => `ws://${h}${SOCKET_PATH}`)));

  const token = o.token ?? newToken();
  const cookieName = () => `postcard-lab-${port}`;
  /** Where the request's token is, if it carries the right one: the query wins over the cookie. */
  const tokenOf = (req: http.IncomingMessage, url: URL): 'query' | 'cookie' | 'wrong' | 'none' => {
    const query = url.searchParams.get(TOKEN_PARAM);
    if (query !== null) return sameToken(query, token) ? 'query' : 'wrong';
    const cookie = cookieValue(req.headers.cookie, cookieName());
    if (cookie === undefined) return 'none';
    return sameToken(cookie, token) ? 'cookie' : 'wrong';
  };

  const statics = staticHandler({ root: o.rendererDir, headers, allowHost });
  const exports = exportHandler(o.session, headers);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ui');
    // The Host check comes first (the static handler answers 421), then the token, then the rest.
    if (!allowHost(req.headers.host)) return statics(req, res);
    const carried = tokenOf(req, url);
    if (carried === 'none' || carried === 'wrong') {
      const body = carried === 'none' ? NO_TOKEN : WRONG_TOKEN;
      res.writeHead(403, { ...headers(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    const pathname = url.pathname;
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (carried === 'query' && readOnly && !pathname.startsWith(EXPORT_PREFIX)) {
      // A page load with the token: keep it in a cookie and take it out of the address bar
      // (and of the history), as Jupyter does with its login cookie. 303: GET the new address.
      url.searchParams.delete(TOKEN_PARAM);
      res.writeHead(303, {
        ...headers(),
        'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        // One leading slash: `//host` would be another site (RFC 3986 §4.2).
        Location: `/${url.pathname.replace(/^\/+/, '')}${url.search}`,
        'Content-Length': '0',
      });
      return res.end();
    }
    // Method is checked as for every static file; only then the export.
    if (readOnly && pathname.startsWith(EXPORT_PREFIX)) return exports(req, res, pathname);
    statics(req, res);
  });
  const bridge = attachBridge({
    server, path: SOCKET_PATH, allowOrigin, allowHost,
    allowRequest: (req) => {
      const carried = tokenOf(req, new URL(req.url ?? '/', 'http://ui'));
      return carried === 'query' || carried === 'cookie' ? undefined : carried === 'none' ? NO_TOKEN : WRONG_TOKEN;
    },
    // Each page's socket is a connection of its own: the terminal sessions it opens close with it.
    connect: () => {
      const connection = {};
      return { dispatch: createDispatch(createHandlers(o.session, connection)), closed: () => o.session.closeTerminalsOf(connection) };
    },
    subscribe: (fn) => o.session.events.subscribe(fn),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // 127.0.0.1 only (docs/lab.md, "Command line"): the lab is never reachable from another machine.
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`,
    origin: `http://127.0.0.1:${port}/`,
    port,
    token,
    cookieName: cookieName(),
    close: async () => {
      await bridge.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
