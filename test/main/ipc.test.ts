import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Dispatch } from '../../app/api/dispatch.ts';
import type { EventMessage } from '../../app/api/contract.ts';
import { COMMAND_NAMES, validateRequest } from '../../app/api/contract.ts';
import { Emitter } from '../../app/base/emitter.ts';

vi.mock('electron', () => import('./electron-mock.ts'));
const { BrowserWindow, FakeFrame, FakeWebContents, ipcMain, resetElectronMock } = await import('./electron-mock.ts');
const { setupIpc } = await import('../../main/ipc.ts');
const { CHANNELS } = await import('../../main/channels.ts');

beforeEach(() => resetElectronMock());

// Validates exactly as the real dispatch does, then records what reached the "handlers".
const reached: [unknown, unknown][] = [];
const dispatch: Dispatch = async (command, payload) => {
  const checked = validateRequest(command, payload);
  if (!checked.ok) return checked;
  reached.push([checked.command, checked.payload]);
  return { ok: true, result: 'handled' };
};

const desktopRuns: string[] = [];

function setup() {
  reached.length = 0;
  desktopRuns.length = 0;
  const window = new BrowserWindow({ webPreferences: {} });
  const events = new Emitter<EventMessage>();
  setupIpc({ window: window as never, dispatch, subscribe: (fn) => events.subscribe(fn), desktop: async (action) => void desktopRuns.push(action) });
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
    expect(ipcMain.handlers.has(CHANNELS.desktop)).toBe(false);
  });

  it('runs a File button\'s native dialog only for allow-listed actions from our own window', async () => {
    const { window } = setup();
    const desktop = ipcMain.handlers.get(CHANNELS.desktop)!;
    const own = (action: unknown) => desktop({ sender: window.webContents, senderFrame: window.webContents.mainFrame }, action);
    expect(await own('save-lab')).toEqual({ ok: true, result: null });
    expect(await own('export:capture')).toEqual({ ok: true, result: null });
    for (const bad of ['rm -rf /', 'openFile', '', 7, null, { action: 'save-lab' }, ['save-lab'], 'save-lab\u0000']) {
      expect(await own(bad), JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    }
    expect(await desktop({ sender: new FakeWebContents(), senderFrame: new FakeFrame('postcard://app/index.html') }, 'save-lab')).toMatchObject({ ok: false, error: { code: 'bad-message' } });
    expect(desktopRuns).toEqual(['save-lab', 'export:capture']);
  });
});

describe('IPC fuzz: invalid payloads and unknown commands', () => {
  /** A seeded generator of hostile values (xorshift32), so a failure replays. */
  function values(seed: number) {
    let x = seed >>> 0 || 1;
    const next = () => {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      return x;
    };
    const pick = <T>(items: readonly T[]): T => items[next() % items.length];
    const scalar = (): unknown => pick([
      () => undefined, () => null, () => next(), () => -next(), () => Number.NaN, () => Number.POSITIVE_INFINITY, () => true,
      () => '', () => 'x'.repeat(next() % 5000), () => '\u0000\r\n<script>', () => '../'.repeat(8) + 'etc/passwd', () => '__proto__', () => 'constructor',
    ])();
    const value = (depth: number): unknown => {
      if (depth > 3 || next() % 3 === 0) return scalar();
      if (next() % 2) return Array.from({ length: next() % 4 }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = next() % 4; i > 0; i--) o[pick(['id', 'org', 'from', 'to', 'solve', 'point', 'filter', 'limit', 'name', 'text', 'file', 'restart', '__proto__', 'constructor', 'x'])] = value(depth + 1);
      return o;
    };
    return { next, pick, value };
  }

  it('answers 2,000 random calls with a typed result, never a throw, and reaches a handler only with a valid payload', async () => {
    const { own } = setup();
    const g = values(20261205);
    const names = [...COMMAND_NAMES, 'shell.openExternal', 'eval', '__proto__', 'constructor', 'toString', '', 'listscenarios', 'openScenario ', null, 42];
    const codes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const command = g.pick(names);
      const payload = g.value(0);
      const r = (await own(command, payload)) as { ok: boolean; error?: { code: string; message: string } };
      if (r.ok) {
        // Reached a handler: then the contract's own gate accepted exactly this.
        expect(validateRequest(command, payload).ok, `seed 20261205, call ${i}: ${String(command)}`).toBe(true);
      } else {
        codes.add(r.error!.code);
        expect(r.error!.message.length).toBeGreaterThan(0);
        expect(r.error!.message).not.toMatch(/\n\s+at /); // no stack trace
      }
    }
    expect([...codes].sort()).toEqual(['invalid-payload', 'unknown-command']);
    expect(reached.every(([command]) => COMMAND_NAMES.includes(command as never))).toBe(true);
  });
});
