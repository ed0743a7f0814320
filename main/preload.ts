/**
 * The preload: the only bridge between the sandboxed page and main. It exposes `window.postcard`,
 * one domain function per contract command plus `onEvent`, and never ipcRenderer itself, so the
 * page cannot pick a channel or send anything the contract does not name (STYLE.md, Electron
 * Fiddle's preload). Errors arrive as rejected promises with the contract's message.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { COMMAND_NAMES, type EventMessage, type PostcardApi, type Result } from '../app/api/contract.ts';
import { CHANNELS } from './channels.ts';

function unwrap(result: Result<unknown>): unknown {
  if (result.ok) return result.result;
  throw new Error(result.error.message);
}

export function buildApi(): PostcardApi {
  const api: Record<string, unknown> = {};
  for (const name of COMMAND_NAMES) {
    api[name] = async (request: unknown) => unwrap((await ipcRenderer.invoke(CHANNELS.call, name, request ?? {})) as Result<unknown>);
  }
  api.onEvent = (listener: (event: EventMessage) => void) => {
    // The IpcRendererEvent stays here: it holds `sender`, which is ipcRenderer.
    const forward = (_event: IpcRendererEvent, message: EventMessage) => listener(message);
    ipcRenderer.on(CHANNELS.event, forward);
    return () => {
      ipcRenderer.removeListener(CHANNELS.event, forward);
    };
  };
  return Object.freeze(api) as PostcardApi;
}

contextBridge.exposeInMainWorld('postcard', buildApi());
