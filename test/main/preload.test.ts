import { beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMAND_NAMES, type EventMessage, type PostcardApi } from '../../app/api/contract.ts';

vi.mock('electron', () => import('./electron-mock.ts'));
const { contextBridge, ipcRenderer } = await import('./electron-mock.ts');
const { CHANNELS } = await import('../../main/channels.ts');

let exposed: PostcardApi;
let desktop: { onMenu(fn: (action: string) => void): () => void; run(action: string): Promise<void> };
beforeAll(async () => {
  await import('../../main/preload.ts');
  expect(contextBridge.exposeInMainWorld.mock.calls.map((c) => c[0])).toEqual(['postcard', 'postcardDesktop']);
  exposed = contextBridge.exposeInMainWorld.mock.calls[0][1] as PostcardApi;
  desktop = contextBridge.exposeInMainWorld.mock.calls[1][1] as typeof desktop;
});

describe('the preload (Electron security checklist: domain functions only)', () => {
  it('exposes one function per contract command plus onEvent, and nothing else', () => {
    expect(Object.keys(exposed).sort()).toEqual([...COMMAND_NAMES, 'onEvent'].sort());
    for (const value of Object.values(exposed)) expect(typeof value).toBe('function');
    expect(Object.isFrozen(exposed)).toBe(true);
    for (const leak of ['invoke', 'send', 'on', 'ipcRenderer', 'sendSync']) expect(exposed).not.toHaveProperty(leak);
  });

  it('sends each call on the one call channel with its own command name', async () => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, result: { id: 'postcard' } });
    await expect(exposed.openScenario({ id: 'postcard' })).resolves.toEqual({ id: 'postcard' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(CHANNELS.call, 'openScenario', { id: 'postcard' });
  });

  it('turns a contract error into a rejected promise with its message', async () => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'no-lab', message: 'the lab is not running; start it first' } });
    await expect(exposed.runNextStep({})).rejects.toThrow('the lab is not running; start it first');
  });

  it('hands event listeners the message only, never the IPC event (which holds ipcRenderer)', () => {
    const seen: unknown[][] = [];
    const off = exposed.onEvent((...args) => seen.push(args));
    const message: EventMessage = { event: 'step.result', payload: { result: { index: 0, kind: 'send', status: 'passed', message: 'ok', name: 'm1' }, next: 1 } };
    ipcRenderer.emit(CHANNELS.event, { sender: ipcRenderer }, message);
    expect(seen).toEqual([[message]]);
    off();
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith(CHANNELS.event, expect.any(Function));
  });

  it('postcardDesktop: menu actions from the allow-list only, and File buttons on their own channel', async () => {
    expect(Object.keys(desktop).sort()).toEqual(['onMenu', 'run']);
    expect(Object.isFrozen(desktop)).toBe(true);
    const seen: unknown[][] = [];
    const off = desktop.onMenu((...args) => seen.push(args));
    ipcRenderer.emit(CHANNELS.menu, { sender: ipcRenderer }, 'tab:packets');
    ipcRenderer.emit(CHANNELS.menu, { sender: ipcRenderer }, 'shell:open');
    expect(seen).toEqual([['tab:packets']]);
    off();
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, result: null });
    await desktop.run('save-lab');
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(CHANNELS.desktop, 'save-lab');
    await expect(desktop.run('delete-everything')).rejects.toThrow('unknown desktop action delete-everything');
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'no-lab', message: 'the lab is not running; start it first' } });
    await expect(desktop.run('export:capture')).rejects.toThrow('the lab is not running');
  });
});
