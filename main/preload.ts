/**
 * The preload: the only bridge between the sandboxed page and main. It exposes `window.postcard`,
 * one domain function per contract command plus `onEvent`, and `window.postcardDesktop` (the menu's
 * page actions and the File buttons' native dialogs), never ipcRenderer itself, so the page cannot
 * pick a channel or send anything the contract or the allow-lists do not name (Electron Fiddle's
 * preload). Errors arrive as rejected promises with the contract's message.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { COMMAND_NAMES, type EventMessage, type PostcardApi, type Result } from '../app/api/contract.ts';
import { CHANNELS, isDesktopAction, isMenuAction, type DesktopAction, type MenuAction } from './channels.ts';

function unwrap(result: Result<unknown>): unknown {
  if (result.ok) return result.result;
  throw new Error(result.error.message);
}

/** Listen on a main → page channel; the IpcRendererEvent (it holds `sender`, ipcRenderer) stays here. */
function listen<T>(channel: string, accept: (message: unknown) => message is T, listener: (message: T) => void): () => void {
  const forward = (_event: IpcRendererEvent, message: unknown) => {
    if (accept(message)) listener(message);
  };
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
}

export function buildApi(): PostcardApi {
  const api: Record<string, unknown> = {};
  for (const name of COMMAND_NAMES) {
    api[name] = async (request: unknown) => unwrap((await ipcRenderer.invoke(CHANNELS.call, name, request ?? {})) as Result<unknown>);
  }
  api.onEvent = (listener: (event: EventMessage) => void) => listen(CHANNELS.event, (m): m is EventMessage => typeof m === 'object' && m !== null, listener);
  return Object.freeze(api) as PostcardApi;
}

export interface DesktopApi {
  onMenu(listener: (action: MenuAction) => void): () => void;
  run(action: DesktopAction): Promise<void>;
}

export function buildDesktopApi(): DesktopApi {
  return Object.freeze({
    onMenu: (listener: (action: MenuAction) => void) => listen(CHANNELS.menu, isMenuAction, listener),
    run: async (action: DesktopAction) => {
      if (!isDesktopAction(action)) throw new Error(`unknown desktop action ${String(action)}`);
      unwrap((await ipcRenderer.invoke(CHANNELS.desktop, action)) as Result<unknown>);
    },
  });
}

contextBridge.exposeInMainWorld('postcard', buildApi());
contextBridge.exposeInMainWorld('postcardDesktop', buildDesktopApi());
