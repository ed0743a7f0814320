/**
 * Electron's composition root (started by entry.ts): the app scheme, the guards, the engine in a
 * utilityProcess, one window, the IPC bridge and the menu. Everything else lives in the small
 * modules it calls.
 *
 *   entry.ts ──► start ──► registerAppScheme ─► (ready) ─► setupSecurity ─► serveAppScheme(out/renderer)
 *                                                   └─► startEngine (utilityProcess: out/main/engine.js)
 *                                                   └─► createMainWindow ─► setupIpc ─► setupMenu
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { registerAppScheme, serveAppScheme } from './protocol.ts';
import { setupSecurity } from './security.ts';
import { createMainWindow } from './window.ts';
import { setupIpc } from './ipc.ts';
import { startEngine } from './engine-client.ts';
import { runDesktopAction, setupMenu } from './menu.ts';

/** out/main → the package root (out/renderer sits beside out/main). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Scenarios and docs: beside app.asar in a packaged app (electron-builder.yml extraResources), else in the package. */
export function resourcesDir(root: string): string {
  return app.isPackaged ? process.resourcesPath : root;
}

export async function onReady(root = ROOT): Promise<void> {
  setupSecurity();
  serveAppScheme(path.join(root, 'out', 'renderer'));
  const resources = resourcesDir(root);
  // Lab keys and the recent files are kept where a packaged app may write: its user-data folder.
  const engine = startEngine(path.join(root, 'out', 'main', 'engine.js'), {
    scenariosDir: path.join(resources, 'scenarios'),
    keyCache: path.join(app.getPath('userData'), 'keys'),
    recentFile: path.join(app.getPath('userData'), 'recent.json'),
  });
  const window = createMainWindow(path.join(root, 'out', 'main', 'preload.cjs'));
  const menu = { window, engine, docsDir: path.join(resources, 'docs') };
  setupIpc({ window, dispatch: engine.dispatch, subscribe: engine.subscribe, desktop: (action) => runDesktopAction(menu, action) });
  await setupMenu(menu);
  window.on('closed', () => void engine.close());
}

export function start(): void {
  // Every renderer in Chromium's sandbox, whatever a window asks for.
  app.enableSandbox();
  registerAppScheme();
  app.on('window-all-closed', () => app.quit());
  void app.whenReady().then(() => onReady());
}
