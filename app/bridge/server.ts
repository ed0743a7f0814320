/**
 * The WebSocket bridge: the contract carried to the browser UI (docs/architecture.md "Conventions": one contract, several
 * transports"). It shares the HTTP server that serves the UI, accepts an upgrade only on its path
 * and only from the UI's own origin (a page on another site must not drive the lab through the
 * user's browser — the Origin check RFC 6455 §10.2 asks servers to make), and pushes every session
 * event to every connected client.
 *
 *   browser ──ws frame──► protocol.handleFrame ──► dispatch(validate) ──► handlers
 *      ▲                                                                   │
 *      └──────────── response { id, ok, result | error } ◄─────────────────┘
 *      └──────────── event { event, payload } ◄── session.events
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { EventMessage } from '../api/contract.ts';
import type { Dispatch } from '../api/dispatch.ts';
import { encode, handleFrame } from './protocol.ts';

export interface BridgeOptions {
  server: http.Server;
  /** URL path of the socket, e.g. `/ws`. */
  path: string;
  /** Is a browser page of this origin allowed to connect? (Called per upgrade.) */
  allowOrigin(origin: string | undefined): boolean;
  /** Is this Host header ours? (A DNS-rebinding guard: the page's host must be our own address.) */
  allowHost(host: string | undefined): boolean;
  /** Does the upgrade carry what this server asks for (serve's token)? undefined: yes; else the refusal's text (403). */
  allowRequest?(req: http.IncomingMessage): string | undefined;
  /**
   * Each connection's own dispatch (it owns what it opens, the terminal's sessions), and what to
   * do when that connection closes (close them). Called once per accepted socket.
   */
  connect(): BridgeConnection;
  /** Where events come from; returns its unsubscribe. */
  subscribe(listener: (event: EventMessage) => void): () => void;
  /** Largest frame accepted, in bytes; a bigger one closes the connection (1009). */
  maxPayload?: number;
}

export interface BridgeConnection {
  dispatch: Dispatch;
  /** The socket closed (the page went away or lost its connection). */
  closed?(): void;
}

export interface Bridge {
  /** Connected clients right now. */
  readonly clients: number;
  close(): Promise<void>;
}

/** Refuse an upgrade with an HTTP status before any socket exists; `detail` is the body. */
export function refuse(socket: Duplex, status: number, reason: string, detail = reason): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(detail)}\r\n\r\n${detail}`);
}

export function attachBridge(o: BridgeOptions): Bridge {
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload ?? 4 * 1024 * 1024 });

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://bridge');
    if (url.pathname !== o.path) return refuse(socket, 404, 'Not Found');
    if (!o.allowHost(req.headers.host)) return refuse(socket, 421, 'Misdirected Request');
    if (!o.allowOrigin(req.headers.origin)) return refuse(socket, 403, 'Forbidden');
    const refusal = o.allowRequest?.(req);
    if (refusal !== undefined) return refuse(socket, 403, 'Forbidden', refusal);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  o.server.on('upgrade', onUpgrade);

  wss.on('connection', (ws: WebSocket) => {
    const connection = o.connect();
    ws.once('close', () => connection.closed?.());
    ws.on('error', () => {
      /* a broken client (bad frame, oversize) is closed by ws; the bridge carries on */
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        ws.send(encode({ id: null, ok: false, error: { code: 'bad-message', message: 'binary frames are not part of the protocol; send JSON text' } }));
        return;
      }
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      void handleFrame(text, connection.dispatch).then((response) => {
        if (ws.readyState === ws.OPEN) ws.send(encode(response));
      });
    });
  });

  const unsubscribe = o.subscribe((event) => {
    const frame = encode(event);
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(frame);
  });

  return {
    get clients() {
      return wss.clients.size;
    },
    close: () => new Promise<void>((resolve) => {
      unsubscribe();
      o.server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
  };
}
