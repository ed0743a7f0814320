/**
 * The classroom's server: one HTTP server serving the built renderer (the same page as `serve`,
 * same CSP and headers: app/bridge/static.ts) and one WebSocket path whose query names the door:
 *
 *   ws://H:P/ws?join=CODE     join the class                   (joinDispatch)
 *   ws://H:P/ws?seat=TOKEN    a learner's own seat and lab      (seatDispatch, its session's events)
 *   ws://H:P/ws?board=TOKEN   the trainer's board               (boardDispatch, board events)
 *   http://H:P/export/…       a seat's downloads (capture, key log, transcripts, report:
 *                             app/bridge/exports.ts), for the seat
 *                             whose token is in the `postcard-seat` cookie its page sets
 *
 * Every upgrade passes the checks of `serve` — path, Host (DNS rebinding), Origin (RFC 6455 §10.2)
 * — and then exactly one valid secret, or it is refused before a socket exists (401). Secrets live
 * in the page's URL fragment (never sent over HTTP, never in a Referer) and in the socket's query.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Dispatch } from '../api/dispatch.ts';
import { encode, handleFrame } from '../bridge/protocol.ts';
import { refuse } from '../bridge/server.ts';
import { contentSecurityPolicy, securityHeaders, staticHandler } from '../bridge/static.ts';
import { EXPORT_PREFIX, exportHandler } from '../bridge/exports.ts';
import type { Classroom } from './room.ts';
import { boardDispatch, joinDispatch, seatDispatch, type BoardConnection } from './dispatch.ts';
import { cookieValue, sameToken } from '../bridge/tokens.ts';

export const CLASS_SOCKET_PATH = '/ws';
/** A learner's or trainer's frame is a command; 1 MiB is far above any of them. */
const MAX_FRAME = 1024 * 1024;
/** Close code for a socket whose seat was freed (application range, RFC 6455 §7.4.2). */
export const SEAT_CLOSED = 4001;

export interface ClassroomServerOptions {
  room: Classroom;
  rendererDir: string;
  /** Address to listen on: 127.0.0.1 unless the trainer names another. */
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface ClassroomServer {
  /** The address learners' browsers use (the listen address, or this machine's LAN address for 0.0.0.0). */
  origin: string;
  port: number;
  joinUrl: string;
  trainerUrl: string;
  /** Whether other machines can reach it (not loopback). */
  exposed: boolean;
  /** Open sockets right now, by door. */
  sockets(): { join: number; seat: number; board: number };
  close(): Promise<void>;
}

/** The Host names a page may use to reach us: the listen address, and every local address for a wildcard. */
export function hostNames(host: string, interfaces = os.networkInterfaces()): string[] {
  if (host === '127.0.0.1') return ['127.0.0.1', 'localhost'];
  if (host !== '0.0.0.0') return [host];
  const out = ['127.0.0.1', 'localhost'];
  for (const list of Object.values(interfaces)) for (const a of list ?? []) if (a.family === 'IPv4' && !out.includes(a.address)) out.push(a.address);
  return out;
}

/** The address to print in links: the listen address, or the first LAN IPv4 address for a wildcard. */
export function linkHost(host: string, interfaces = os.networkInterfaces()): string {
  if (host !== '0.0.0.0') return host;
  for (const list of Object.values(interfaces)) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** The cookie a learner's page sets for its downloads (path /export/, SameSite=Strict). */
export const SEAT_COOKIE = 'postcard-seat';

type Door =
  | { kind: 'join' }
  | { kind: 'seat'; seat: NonNullable<ReturnType<Classroom['seatByToken']>> }
  | { kind: 'board' };

/** Which door a query opens, or why none does. */
function doorFor(room: Classroom, query: URLSearchParams): Door | string {
  const given = (['join', 'seat', 'board'] as const).filter((k) => query.has(k));
  if (given.length !== 1) return 'a classroom socket needs exactly one of join=, seat=, board=';
  const [kind] = given;
  const value = query.get(kind) ?? undefined;
  if (kind === 'join') return sameToken(value, room.code) ? { kind } : 'wrong class code';
  if (kind === 'board') return sameToken(value, room.trainerToken) ? { kind } : 'wrong trainer token';
  const seat = room.seatByToken(value);
  return seat ? { kind, seat } : 'no such seat in this class (wrong token, or the seat was freed)';
}

export async function startClassroomServer(o: ClassroomServerOptions): Promise<ClassroomServer> {
  const { room } = o;
  let port = 0;
  const names = hostNames(o.host);
  const hosts = () => names.map((n) => `${n}:${port}`);
  const allowHost = (host: string | undefined) => host !== undefined && hosts().includes(host.toLowerCase());
  const allowOrigin = (origin: string | undefined) => origin !== undefined && hosts().some((h) => origin.toLowerCase() === `http://${h}`);
  const headers = () => securityHeaders(contentSecurityPolicy(hosts().map((h) => `ws://${h}${CLASS_SOCKET_PATH}`)));
  const statics = staticHandler({ root: o.rendererDir, headers, allowHost });
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://classroom').pathname;
    // Host and method are checked as for every static file; only then a seat's download.
    const allowed = allowHost(req.headers.host) && (req.method === 'GET' || req.method === 'HEAD');
    if (!allowed || !pathname.startsWith(EXPORT_PREFIX)) return statics(req, res);
    const seat = room.seatByToken(cookieValue(req.headers.cookie, SEAT_COOKIE));
    if (!seat) {
      res.writeHead(401, { ...headers(), 'Content-Type': 'text/plain; charset=utf-8' });
      return res.end(req.method === 'HEAD' ? undefined : 'Unauthorized: downloads are for a seat; open them from your seat\'s page\n');
    }
    exportHandler(seat.session, headers)(req, res, pathname);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  const open = { join: 0, seat: 0, board: 0 };
  const origin = () => `http://${linkHost(o.host)}:${port}`;

  const serveFrames = (ws: WebSocket, dispatch: Dispatch) => {
    ws.on('error', () => undefined);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        ws.send(encode({ id: null, ok: false, error: { code: 'bad-message', message: 'binary frames are not part of the protocol; send JSON text' } }));
        return;
      }
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      void handleFrame(text, dispatch).then((response) => {
        if (ws.readyState === ws.OPEN) ws.send(encode(response));
      });
    });
  };
  const send = (ws: WebSocket, message: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  const connect = (ws: WebSocket, door: Door) => {
    open[door.kind]++;
    const offs: (() => void)[] = [() => open[door.kind]--];
    if (door.kind === 'join') {
      serveFrames(ws, joinDispatch(room));
    } else if (door.kind === 'seat') {
      const { seat } = door;
      // This socket's terminal sessions are its own, and close with it (docs/classroom.md, "Limits").
      const connection = {};
      serveFrames(ws, seatDispatch(room, seat, connection));
      offs.push(() => seat.session.closeTerminalsOf(connection));
      offs.push(seat.session.events.subscribe((e) => send(ws, e)));
      offs.push(room.notices.subscribe(({ seat: id, message }) => {
        if (id !== seat.id) return;
        send(ws, message);
        if (message.event === 'seat.closed') ws.close(SEAT_CLOSED, 'seat freed');
      }));
      room.connected(seat, 1);
      offs.push(() => room.connected(seat, -1));
      send(ws, { event: 'seat.welcome', payload: room.welcome(seat) });
    } else {
      const connection: BoardConnection = {};
      serveFrames(ws, boardDispatch(room, joinUrl(), connection));
      offs.push(room.board.subscribe((e) => send(ws, e)));
      offs.push(() => connection.unwatch?.());
    }
    ws.once('close', () => {
      for (const off of offs) off();
    });
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://classroom');
    if (url.pathname !== CLASS_SOCKET_PATH) return refuse(socket, 404, 'Not Found');
    if (!allowHost(req.headers.host)) return refuse(socket, 421, 'Misdirected Request');
    if (!allowOrigin(req.headers.origin)) return refuse(socket, 403, 'Forbidden');
    const door = doorFor(room, url.searchParams);
    if (typeof door === 'string') return refuse(socket, 401, 'Unauthorized', door);
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws, door));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const joinUrl = () => `${origin()}/#/join?code=${room.code}`;

  return {
    origin: origin(),
    port,
    joinUrl: joinUrl(),
    trainerUrl: `${origin()}/#/board?token=${room.trainerToken}`,
    exposed: o.host !== '127.0.0.1',
    sockets: () => ({ ...open }),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
