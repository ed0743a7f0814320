/**
 * The one window. Its web preferences are the Electron security checklist's: the page runs
 * isolated from the preload (contextIsolation), in Chromium's OS sandbox (sandbox), without
 * Node (nodeIntegration off, also in workers and sub-frames), with web security on and no
 * <webview>. test/main/window.test.ts pins each of them.
 */
import { BrowserWindow } from 'electron';
import { APP_URL } from './channels.ts';

export function createMainWindow(preload: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1320,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Postcard Lab',
    backgroundColor: '#f6f4ef',
    // Written out here, not spread from a constant: electronegativity (scripts/audit-electron.mjs)
    // reads the literal passed to `new BrowserWindow`, and so does a reviewer.
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // A middle click on a link would ask for a new window (denied anyway, security.ts): not even that.
      disableBlinkFeatures: 'Auxclick',
      preload,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_URL);
  return win;
}
