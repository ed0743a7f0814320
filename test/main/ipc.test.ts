import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dispatch } from '../../app/api/dispatch.ts';
import type { EventMessage } from '../../app/api/contract.ts';
import { validateRequest } from '../../app/api/contract.ts';
import { Emitter } from '../../app/base/emitter.ts';

vi.mock('electron', () => import('./electron-mock.ts'));
const { BrowserWindow, FakeFrame, FakeWebContents, ipcMain, resetElectronMock } = await import('./electron-mock.ts');
const { setupIpc } = await import('../../main/ipc.ts');
const { CHANNELS } = await import('../../main/channels.ts');

beforeEach(() => resetElectronMock());

// Validates exactly as the real dispatch does, then records what reached the "handlers".
const reached: unknown[] = [];
const dispatch: Dispatch = async (command, payload) => {
  const checked = validateRequest(command, payload);
  if (!checked.ok) return checked;
  reached.push([checked.command, checked.payload]);
  return { ok: true, result: 'handled' };
};

function setup() {
  reached.length = 0;
  const window = new BrowserWindow({ webPreferences: {} });
  const events = new Emitter<EventMessage>();
  setupIpc({ window: window as never, dispatch, subscribe: (fn) => events.subscribe(fn) });
  const handler = ipcMain.handlers.get(CHANNELS.call)!;
  const from = (sender: unknown, frame: unknown) => (command: unknown, payload: unknown) => handler({ sender, senderFrame: frame }, command, payload);
  return { window, events, handler, own: from(window.webContents, window.webContents.mainFrame), from };
}

describe('IPC (Electron security checklist: every message checked and validated)', () => {
  it('answers our own window with the handler result', async () => {
    const { own } = setup();
    expect(await own('openScenario', { id: 'postcard' })).toEqual({ ok: true, result: 'handled' });
    expect(reached).toEqual([['openScenario', { id: 'postcard' }]]);
  });

  it('refuses a message from another window, a sub-frame, a destroyed frame or a foreign page', async () => {
    const { window, from } = setup();
    const refused = { ok: false, error: { code: 'bad-message', message: expect.stringContaining('refused') } };
    expect(await from(new FakeWebContents(), new FakeFrame('postcard://app/index.html'))('listScenarios', {})).toEqual(refused);
    expect(await from(window.webContents, new FakeFrame('postcard://app/index.html'))('listScenarios', {})).toEqual(refused);
    expect(await from(window.webContents, null)('listScenarios', {})).toEqual(refused);
    window.webContents.mainFrame.url = 'https://evil.example/';
    expect(await from(window.webContents, window.webContents.mainFrame)('listScenarios', {})).toEqual(refused);
    expect(reached).toEqual([]);
  });

  it('validates every payload against the contract before a handler sees it', async () => {
    const { own } = setup();
    expect(await own('openScenario', { id: 7 })).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(await own('shell.openExternal', { url: 'https://evil.example' })).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(await own('applyAction', { org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls' } })).toMatchObject({ ok: false, error: { code: 'invalid-payload', message: expect.stringContaining('needs a level') } });
    expect(reached).toEqual([]);
  });

  it('sends events to our window only, and stops when it closes', () => {
    const { window, events } = setup();
    const message: EventMessage = { event: 'session.changed', payload: { scenario: 'postcard', status: 'running' } };
    events.emit(message);
    expect(window.webContents.send).toHaveBeenCalledWith(CHANNELS.event, message);
    window.emit('closed');
    events.emit(message);
    expect(window.webContents.send).toHaveBeenCalledTimes(1);
    expect(ipcMain.handlers.has(CHANNELS.call)).toBe(false);
  });
});
