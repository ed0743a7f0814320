import { beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMAND_NAMES, type EventMessage, type PostcardApi } from '../../app/api/contract.ts';

vi.mock('electron', () => import('./electron-mock.ts'));
const { contextBridge, ipcRenderer } = await import('./electron-mock.ts');
const { CHANNELS } = await import('../../main/channels.ts');

let exposed: PostcardApi;
beforeAll(async () => {
  await import('../../main/preload.ts');
  expect(contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  const [name, api] = contextBridge.exposeInMainWorld.mock.calls[0] as [string, PostcardApi];
  expect(name).toBe('postcard');
  exposed = api;
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
});
