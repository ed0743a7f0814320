/**
 * The IPC channels between main and preload, and the menu's renderer-side actions. Only the
 * preload knows the channels; the page sees domain functions (`window.postcard.openScenario(...)`,
 * `window.postcardDesktop.onMenu(...)`), never a channel name or ipcRenderer.
 * No electron import here, so tests, the preload and the renderer's types share it freely.
 */
export const CHANNELS = {
  /** renderer → main: `(command, payload)` → `Result` (app/api/contract.ts). */
  call: 'postcard:call',
  /** main → renderer: an `EventMessage`. */
  event: 'postcard:event',
  /** main → renderer: a `MenuAction` the page carries out (a tab, the theme, a lab button). */
  menu: 'postcard:menu',
  /** renderer → main: a `DesktopAction`, a File item whose native dialog main shows. */
  desktop: 'postcard:desktop',
} as const;

/** The page's File buttons in the desktop app: main shows the native dialog (menu.ts). */
export const DESKTOP_ACTIONS = [
  'open-file', 'open-folder', 'save-lab',
  'export:capture', 'export:keylog', 'export:transcripts', 'export:report', 'export:files',
] as const;
export type DesktopAction = (typeof DESKTOP_ACTIONS)[number];

export function isDesktopAction(x: unknown): x is DesktopAction {
  return typeof x === 'string' && (DESKTOP_ACTIONS as readonly string[]).includes(x);
}

/**
 * Menu items the page carries out itself, so a menu item and its button in the page run the same
 * code (main/menu.ts sends them; renderer/lib/desktop.ts receives them).
 */
export const MENU_ACTIONS = [
  // The page's nine tabs, in the order of its tab strip (View ▸ Ctrl+1 … Ctrl+9).
  'tab:topology', 'tab:queue', 'tab:mail', 'tab:transcript', 'tab:packets',
  'tab:terminal', 'tab:firewall', 'tab:logs', 'tab:rehearse',
  'theme:toggle',
  'lab:start', 'lab:stop', 'lab:restart', 'lab:next', 'lab:all',
] as const;
export type MenuAction = (typeof MENU_ACTIONS)[number];

export function isMenuAction(x: unknown): x is MenuAction {
  return typeof x === 'string' && (MENU_ACTIONS as readonly string[]).includes(x);
}

/** The app's own origin: the renderer is served from a private scheme, never file:// or http. */
export const APP_SCHEME = 'postcard';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;
