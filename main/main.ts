/**
 * Electron's composition root (STYLE.md §8; started by entry.ts): the app scheme, the guards, one
 * engine session, one window, the IPC bridge between them. Everything else lives in the small modules it calls.
 *
 *   entry.ts ──► start ──► registerAppScheme ─► (ready) ─► setupSecurity ─► serveAppScheme(out/renderer)
 *                                                   └─► ApiSession ─► createMainWindow ─► setupIpc
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { ApiSession } from '../app/api/session.ts';
import { createDispatch } from '../app/api/dispatch.ts';
import { createHandlers } from '../app/api/handlers.ts';
import { registerAppScheme, serveAppScheme } from './protocol.ts';
import { setupSecurity } from './security.ts';
import { createMainWindow } from './window.ts';
import { setupIpc } from './ipc.ts';

/** out/main → the package root (scenarios/ and out/renderer sit beside it). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function onReady(root = ROOT): Promise<void> {
  setupSecurity();
  serveAppScheme(path.join(root, 'out', 'renderer'));
  // Lab keys are cached where a packaged app may write: its user-data folder, not its own files.
  const session = new ApiSession({ scenariosDir: path.join(root, 'scenarios'), keyCache: path.join(app.getPath('userData'), 'keys') });
  const window = createMainWindow(path.join(root, 'out', 'main', 'preload.cjs'));
  setupIpc({ window, dispatch: createDispatch(createHandlers(session)), subscribe: (fn) => session.events.subscribe(fn) });
  window.on('closed', () => void session.close());
}

export function start(): void {
  // Every renderer in Chromium's sandbox, whatever a window asks for.
  app.enableSandbox();
  registerAppScheme();
  app.on('window-all-closed', () => app.quit());
  void app.whenReady().then(() => onReady());
}
