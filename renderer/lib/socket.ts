/**
 * `PostcardApi` over the bridge's WebSocket (app/bridge/): a request is `{ id, command, payload }`,
 * its response carries the same id, and events arrive unasked. The socket opens on first use and
 * again after it drops; calls waiting on a dropped socket fail with a clear message.
 *
 * The renderer may take only types from app/, so the domain functions are produced by a Proxy
 * from the property name rather than from the contract's run-time list; the server's allow-list
 * answers any name that is not a command.
 */
import type { EventMessage, PostcardApi, ServerMessage } from '../../app/api/contract.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ApiCallError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function createSocketApi(url: string): PostcardApi {
  let socket: WebSocket | undefined;
  let opening: Promise<WebSocket> | undefined;
  let seq = 0;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(event: EventMessage) => void>();

  const receive = (text: string) => {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    if ('event' in message) {
      for (const listener of listeners) listener(message);
      return;
    }
    const waiting = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!waiting || typeof message.id !== 'number') return;
    pending.delete(message.id);
    if (message.ok) waiting.resolve(message.result);
    else waiting.reject(new ApiCallError(message.error.code, message.error.message));
  };

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    opening ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        socket = ws;
        opening = undefined;
        resolve(ws);
      };
      ws.onmessage = (m) => receive(typeof m.data === 'string' ? m.data : '');
      ws.onclose = () => {
        if (socket === ws) socket = undefined;
        opening = undefined;
        for (const p of pending.values()) p.reject(new ApiCallError('failed', 'the connection to the lab server was lost; is `postcard-lab serve` still running?'));
        pending.clear();
        reject(new ApiCallError('failed', `cannot reach the lab server at ${url}`));
      };
    });
    return opening;
  };

  const call = async (command: string, payload: unknown): Promise<unknown> => {
    const ws = await open();
    const id = ++seq;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, command, payload: payload ?? {} }));
    });
  };

  const onEvent = (listener: (event: EventMessage) => void) => {
    listeners.add(listener);
    void open().catch(() => undefined);
    return () => {
      listeners.delete(listener);
    };
  };

  return new Proxy({} as PostcardApi, {
    get(_target, name) {
      if (name === 'onEvent') return onEvent;
      // Not thenable, not a symbol: only string command names become calls.
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (payload: unknown) => call(name, payload);
    },
  });
}
