import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock.ts'));
const { app, BrowserWindow, ipcMain, protocol, session, resetElectronMock } = await import('./electron-mock.ts');
const { start, onReady } = await import('../../main/main.ts');
const { CHANNELS } = await import('../../main/channels.ts');

beforeEach(() => resetElectronMock());

describe('the composition root', () => {
  it('sandboxes every renderer and registers the app scheme before the app is ready', () => {
    start();
    expect(app.enableSandbox).toHaveBeenCalledTimes(1);
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1);
    expect(app.whenReady).toHaveBeenCalled();
    expect(app.enableSandbox.mock.invocationCallOrder[0]).toBeLessThan(app.whenReady.mock.invocationCallOrder[0]);
  });

  it('when ready, wires guards, the app scheme, one window and the IPC bridge', async () => {
    await onReady('/opt/postcard-lab');
    expect(session.defaultSession.webRequest.onBeforeRequest).toHaveBeenCalledTimes(1);
    expect(protocol.handle).toHaveBeenCalledWith('postcard', expect.any(Function));
    expect(BrowserWindow.instances).toHaveLength(1);
    expect(BrowserWindow.instances[0].options.webPreferences.preload).toBe(path.join('/opt/postcard-lab', 'out', 'main', 'preload.cjs'));
    expect(ipcMain.handlers.has(CHANNELS.call)).toBe(true);
  });
});
