import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock.ts'));
const { BrowserWindow, resetElectronMock } = await import('./electron-mock.ts');
const { createMainWindow } = await import('../../main/window.ts');

beforeEach(() => resetElectronMock());

function created() {
  createMainWindow('/app/out/main/preload.cjs');
  expect(BrowserWindow.instances).toHaveLength(1);
  return BrowserWindow.instances[0];
}

describe('the window (Electron security checklist)', () => {
  it('isolates the page from the preload: contextIsolation is on', () => {
    expect(created().options.webPreferences.contextIsolation).toBe(true);
  });

  it("runs the page in Chromium's sandbox: sandbox is on", () => {
    expect(created().options.webPreferences.sandbox).toBe(true);
  });

  it('gives the page no Node: nodeIntegration off, also in workers and sub-frames', () => {
    const prefs = created().options.webPreferences;
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and <webview> off, and loads only the preload it is given', () => {
    const prefs = created().options.webPreferences;
    expect(prefs).toMatchObject({ webSecurity: true, allowRunningInsecureContent: false, webviewTag: false, experimentalFeatures: false });
    expect(prefs.preload).toBe('/app/out/main/preload.cjs');
    expect(Object.keys(prefs).sort()).toEqual([
      'allowRunningInsecureContent', 'contextIsolation', 'disableBlinkFeatures', 'experimentalFeatures', 'navigateOnDragDrop', 'nodeIntegration',
      'nodeIntegrationInSubFrames', 'nodeIntegrationInWorker', 'preload', 'sandbox', 'spellcheck', 'webSecurity', 'webviewTag',
    ]);
  });

  it('a file dropped on the window never navigates it (the page reads dropped files itself), and no spell-check service', () => {
    const prefs = created().options.webPreferences;
    expect(prefs.navigateOnDragDrop).toBe(false);
    expect(prefs.spellcheck).toBe(false);
  });

  it('turns off middle-click (Auxclick), which could ask for new windows', () => {
    expect(created().options.webPreferences.disableBlinkFeatures).toBe('Auxclick');
  });

  it('loads the app from its own scheme, never a remote or file:// URL', () => {
    const win = created();
    expect(win.loadURL).toHaveBeenCalledWith('postcard://app/index.html');
  });
});
