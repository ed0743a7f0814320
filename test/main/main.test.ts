import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock.ts'));
const { app, BrowserWindow, FakeUtilityProcess, ipcMain, Menu, protocol, session, resetElectronMock } = await import('./electron-mock.ts');
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

  it('when ready, wires guards, the app scheme, the engine in a utilityProcess, one window, the IPC bridge and the menu', async () => {
    const ready = onReady('/opt/postcard-lab');
    // The menu asks the engine for the recent files: answer as the engine would (before any await,
    // since the question is already on its way).
    const child = FakeUtilityProcess.instances[0];
    expect(child.entry).toBe(path.join('/opt/postcard-lab', 'out', 'main', 'engine.js'));
    expect(child.hello?.message).toEqual({
      type: 'connect',
      options: { scenariosDir: path.join('/opt/postcard-lab', 'scenarios'), keyCache: '/home/user/.config/postcard-lab/userData/keys', recentFile: '/home/user/.config/postcard-lab/userData/recent.json' },
    });
    const enginePort = child.hello!.ports[0];
    enginePort.on('message', ((e: { data: { id: number } }) => enginePort.postMessage({ id: e.data.id, ok: true, result: { files: [] } })) as never);
    await ready;
    expect(Menu.setApplicationMenu).toHaveBeenCalledTimes(1);
    expect(session.defaultSession.webRequest.onBeforeRequest).toHaveBeenCalledTimes(1);
    expect(protocol.handle).toHaveBeenCalledWith('postcard', expect.any(Function));
    expect(BrowserWindow.instances).toHaveLength(1);
    expect(BrowserWindow.instances[0].options.webPreferences.preload).toBe(path.join('/opt/postcard-lab', 'out', 'main', 'preload.cjs'));
    expect(ipcMain.handlers.has(CHANNELS.call)).toBe(true);
    expect(ipcMain.handlers.has(CHANNELS.desktop)).toBe(true);
  });
});
