/**
 * The renderer's one door to the engine: the same `PostcardApi` (app/api/contract.ts) whichever
 * transport carries it — the Electron preload's `window.postcard`, or the WebSocket of
 * `postcard-lab serve` when the page runs in an ordinary browser.
 */
import type { PostcardApi } from '../../app/api/contract.ts';
import { createSocketApi } from './socket.ts';

declare global {
  interface Window {
    postcard?: PostcardApi;
  }
}

export function connectApi(): PostcardApi {
  if (window.postcard) return window.postcard;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return createSocketApi(`${scheme}://${location.host}/ws`);
}
