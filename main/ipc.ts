/**
 * The contract over Electron IPC. One invoke channel carries every command; main answers only
 * frames it trusts — the top frame of our own window, showing our own origin — and every payload
 * passes the contract's validation (dispatch) before a handler sees it. Events go back on one
 * channel to our window only.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { EventMessage, Result } from '../app/api/contract.ts';
import type { Dispatch } from '../app/api/dispatch.ts';
import { CHANNELS, isDesktopAction, type DesktopAction } from './channels.ts';
import { isAppUrl } from './security.ts';

/** Did this IPC message come from the main frame of `win`, showing the app's own page? */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow): boolean {
  if (win.isDestroyed()) return false;
  const frame = event.senderFrame;
  return event.sender === win.webContents && frame !== null && frame === win.webContents.mainFrame && isAppUrl(frame.url);
}

export interface IpcOptions {
  window: BrowserWindow;
  dispatch: Dispatch;
  subscribe(listener: (event: EventMessage) => void): () => void;
  /** The page's File buttons (native dialogs); absent: refused. */
  desktop?(action: DesktopAction): Promise<void>;
}

export function setupIpc(o: IpcOptions): void {
  ipcMain.handle(CHANNELS.call, async (event, command: unknown, payload: unknown): Promise<Result<unknown>> => {
    if (!isTrustedSender(event, o.window)) {
      return { ok: false, error: { code: 'bad-message', message: 'refused: IPC from a frame that is not the Postcard Lab window' } };
    }
    return o.dispatch(command, payload);
  });
  ipcMain.handle(CHANNELS.desktop, async (event, action: unknown): Promise<Result<null>> => {
    if (!isTrustedSender(event, o.window)) {
      return { ok: false, error: { code: 'bad-message', message: 'refused: IPC from a frame that is not the Postcard Lab window' } };
    }
    if (!isDesktopAction(action) || !o.desktop) {
      const shown = typeof action === 'string' ? `"${action.slice(0, 64)}"` : typeof action;
      return { ok: false, error: { code: 'unknown-command', message: `unknown desktop action ${shown}` } };
    }
    await o.desktop(action);
    return { ok: true, result: null };
  });
  const unsubscribe = o.subscribe((message) => {
    if (!o.window.isDestroyed()) o.window.webContents.send(CHANNELS.event, message);
  });
  o.window.on('closed', () => {
    unsubscribe();
    ipcMain.removeHandler(CHANNELS.call);
    ipcMain.removeHandler(CHANNELS.desktop);
  });
}
