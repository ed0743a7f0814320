/**
 * The two IPC channels between main and preload. Only the preload knows them; the page sees
 * domain functions (`window.postcard.openScenario(...)`), never a channel name or ipcRenderer.
 * No electron import here, so tests and the preload share it freely.
 */
export const CHANNELS = {
  /** renderer → main: `(command, payload)` → `Result` (app/api/contract.ts). */
  call: 'postcard:call',
  /** main → renderer: an `EventMessage`. */
  event: 'postcard:event',
} as const;

/** The app's own origin: the renderer is served from a private scheme, never file:// or http. */
export const APP_SCHEME = 'postcard';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;
