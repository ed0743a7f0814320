/**
 * Main's side of the engine: start it as an Electron utilityProcess (engine-entry.ts → out/main/
 * engine.js) and talk to it over a MessageChannelMain with the contract's envelopes. `dispatch`
 * has the shape the IPC bridge (ipc.ts) already takes, so the renderer's calls pass through
 * unchanged; `desktop` is for main's own dialogs. If the engine process dies, every waiting call
 * fails with a message saying so, and later calls fail at once.
 */
import { MessageChannelMain, utilityProcess, type MessagePortMain } from 'electron';
import type { ApiSessionOptions } from '../app/api/session.ts';
import type { Dispatch } from '../app/api/dispatch.ts';
import type { EventMessage, Result } from '../app/api/contract.ts';
import type { DesktopMessage } from './engine-host.ts';

export interface Engine {
  dispatch: Dispatch;
  desktop(request: Omit<DesktopMessage, 'id'>): Promise<Result<unknown>>;
  subscribe(listener: (event: EventMessage) => void): () => void;
  close(): Promise<void>;
}

/** The first message on the engine's parent port: the session's options and (as a transfer) its port. */
export interface EngineHello {
  type: 'connect';
  options: ApiSessionOptions;
}

export function startEngine(entry: string, options: ApiSessionOptions): Engine {
  const child = utilityProcess.fork(entry, [], { serviceName: 'Postcard Lab engine', stdio: 'inherit' });
  const { port1, port2 } = new MessageChannelMain();
  child.postMessage({ type: 'connect', options } satisfies EngineHello, [port2]);
  return connectEngine(port1, () => child.kill(), (onExit) => child.once('exit', onExit));
}

/** The client over an open port (exported so tests can join it to a host without Electron). */
export function connectEngine(port: Pick<MessagePortMain, 'postMessage' | 'on' | 'start' | 'close'>, kill: () => void, onExit: (fn: (code: number) => void) => void): Engine {
  let seq = 0;
  let dead: string | undefined;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const listeners = new Set<(event: EventMessage) => void>();

  port.on('message', ({ data }) => {
    const m = data as { id?: unknown; event?: unknown } & Record<string, unknown>;
    if (typeof m?.event === 'string') {
      for (const fn of listeners) fn(m as unknown as EventMessage);
      return;
    }
    const done = typeof m?.id === 'number' ? pending.get(m.id) : undefined;
    if (!done) return;
    pending.delete(m.id as number);
    done(m.ok ? { ok: true, result: m.result } : { ok: false, error: m.error as { code: 'failed'; message: string } });
  });
  port.start();
  onExit((code) => {
    dead = `the lab engine stopped (exit code ${code}); restart Postcard Lab`;
    for (const done of pending.values()) done({ ok: false, error: { code: 'failed', message: dead } });
    pending.clear();
  });

  const send = (message: Record<string, unknown>): Promise<Result<unknown>> => {
    if (dead) return Promise.resolve({ ok: false, error: { code: 'failed', message: dead } });
    const id = ++seq;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      port.postMessage({ ...message, id });
    });
  };

  return {
    dispatch: (command, payload) => send({ command, payload }),
    desktop: (request) => send({ ...request }),
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      if (!dead) await send({ desktop: 'close' });
      port.close();
      kill();
    },
  };
}
