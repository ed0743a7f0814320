/**
 * The engine's side of the desktop app: it runs in an Electron utilityProcess (engine-entry.ts), so
 * RSA key generation, signing and dissection never block the window's main thread. One
 * MessagePort carries the same envelopes as the browser's WebSocket (app/api/contract.ts):
 *
 *   main ──{ id, command, payload }──► dispatch (validate → handler) ──► { id, ok, result | error } ──► main
 *   main ◄──────────── { event, payload } ◄── session.events
 *
 * plus a few requests only main makes (`{ id, desktop: 'openFile', path }`): paths chosen in a
 * native dialog, which the renderer can never name. Main forwards the renderer's calls as
 * `command` envelopes only, so a page cannot reach the `desktop` ones. No electron import here:
 * the host is plain Node over a port-like object, tested without Electron.
 */
import fs from 'node:fs';
import { createDispatch } from '../app/api/dispatch.ts';
import { errorOf } from '../app/api/dispatch.ts';
import { exportFile, isExportKind } from '../app/api/exports.ts';
import { exportFiles } from '../app/lab/exports.ts';
import { createHandlers } from '../app/api/handlers.ts';
import { ApiSession, type ApiSessionOptions } from '../app/api/session.ts';
import type { EventMessage, ResponseMessage } from '../app/api/contract.ts';

/** What a port needs for the host: Electron's MessagePortMain and Node's MessagePort both fit. */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: { data: unknown }) => void): unknown;
  start?(): void;
  close?(): void;
}

export const DESKTOP_REQUESTS = ['openFile', 'openFolder', 'saveText', 'exportTo', 'close'] as const;
export type DesktopRequest = (typeof DESKTOP_REQUESTS)[number];

/** A request only main sends: its own dialogs' answers. */
export interface DesktopMessage {
  id: number;
  desktop: DesktopRequest;
  /** openFile, openFolder, saveText: the path; exportTo: the file (or folder for `files`). */
  path?: string;
  /** saveText: the text to write. */
  text?: string;
  /** exportTo: capture | keylog | transcripts | report | files. */
  kind?: string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Serve one session on `port` until main sends `close`. Returns the session (tests look inside). */
export function serveEngine(port: PortLike, options: ApiSessionOptions): ApiSession {
  const session = new ApiSession(options);
  const dispatch = createDispatch(createHandlers(session));
  const reply = (message: ResponseMessage) => port.postMessage(message);
  const unsubscribe = session.events.subscribe((event: EventMessage) => port.postMessage(event));

  const desktop = async (m: DesktopMessage): Promise<unknown> => {
    const where = typeof m.path === 'string' && m.path.length > 0 ? m.path : undefined;
    switch (m.desktop) {
      case 'openFile': {
        if (!where) throw new Error('openFile needs a path');
        const opened = await session.openFile(where, 'dialog');
        if (opened.errors.length > 0) session.events.emit({ event: 'scenario.file', payload: { status: 'invalid', file: opened.file, errors: opened.errors } });
        return opened;
      }
      case 'openFolder':
        if (!where) throw new Error('openFolder needs a path');
        return { scenarios: session.openFolder(where) };
      case 'saveText':
        if (!where || typeof m.text !== 'string') throw new Error('saveText needs a path and the text');
        writeAtomically(where, m.text);
        return { path: where };
      case 'exportTo': {
        if (!where) throw new Error('exportTo needs a path');
        if (m.kind === 'files') return { path: where, files: exportFiles(session.lab, where) };
        if (!isExportKind(m.kind)) throw new Error(`no export "${String(m.kind)}"`);
        const file = exportFile(session, m.kind);
        writeAtomically(where, file.data);
        return { path: where };
      }
      case 'close':
        unsubscribe();
        await session.close();
        return { closed: true };
      default: {
        const never: never = m.desktop;
        throw new Error(`unknown desktop request ${String(never)}`);
      }
    }
  };

  port.on('message', ({ data }) => {
    if (!isObject(data) || typeof data.id !== 'number') {
      reply({ id: null, ok: false, error: { code: 'bad-message', message: 'expected { id, command, payload } or { id, desktop }' } });
      return;
    }
    const id = data.id;
    if (typeof data.desktop === 'string') {
      if (!(DESKTOP_REQUESTS as readonly string[]).includes(data.desktop)) {
        reply({ id, ok: false, error: { code: 'unknown-command', message: `unknown desktop request "${data.desktop.slice(0, 64)}"` } });
        return;
      }
      void desktop(data as unknown as DesktopMessage).then(
        (result) => reply({ id, ok: true, result }),
        (error: unknown) => reply({ id, ok: false, error: errorOf(error) }),
      );
      return;
    }
    void dispatch(data.command, data.payload).then((result) => reply({ id, ...result }));
  });
  port.start?.();
  return session;
}

function writeAtomically(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
