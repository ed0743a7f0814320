// The application menu and its native dialogs (main/menu.ts), with Electron mocked: every item,
// its shortcut, and what it does — dialogs answered, cancelled, engine errors shown natively.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Result } from '../../app/api/contract.ts';
import type { MenuItemOptions } from './electron-mock.ts';

vi.mock('electron', () => import('./electron-mock.ts'));
const { BrowserWindow, dialog, Menu, resetElectronMock, shell } = await import('./electron-mock.ts');
const { menuTemplate, setupMenu, runDesktopAction } = await import('../../main/menu.ts');
/** The template as plain items (the mock's shape): clicks are called without Electron's arguments. */
const template = (...args: Parameters<typeof menuTemplate>) => menuTemplate(...args) as unknown as MenuItemOptions[];
const { CHANNELS } = await import('../../main/channels.ts');

beforeEach(() => resetElectronMock());

function fakeEngine() {
  const calls: unknown[] = [];
  const answers = new Map<string, Result<unknown>>();
  return {
    calls,
    answers,
    engine: {
      dispatch: vi.fn(async (command: unknown, payload: unknown) => {
        calls.push(['dispatch', command, payload]);
        return answers.get(String(command)) ?? { ok: true, result: command === 'listRecent' ? { files: [] } : {} };
      }),
      desktop: vi.fn(async (request: Record<string, unknown>) => {
        calls.push(['desktop', request]);
        return answers.get(`desktop:${String(request.desktop)}`) ?? { ok: true, result: {} };
      }),
      subscribe: vi.fn(() => () => {}),
      close: vi.fn(async () => {}),
    },
  };
}

function setup(docs: string[] = ['authoring.md', 'scenario-format.md']) {
  const docsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-docs-'));
  onTestFinished(() => fs.rmSync(docsDir, { recursive: true, force: true }));
  for (const d of docs) fs.writeFileSync(path.join(docsDir, d), '# doc');
  const window = new BrowserWindow({ webPreferences: {} });
  const f = fakeEngine();
  const deps = { window: window as never, engine: f.engine as never, docsDir };
  return { ...f, window, deps, docsDir };
}

const find = (items: MenuItemOptions[], label: string): MenuItemOptions => {
  const item = items.find((i) => i.label === label || i.label?.replace('&', '') === label);
  if (!item) throw new Error(`no menu item ${label} in ${items.map((i) => i.label ?? i.role).join(', ')}`);
  return item;
};
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the menu', () => {
  it('has File, View, Lab and Help with the documented items and shortcuts', () => {
    const { deps } = setup();
    const t = template(deps, [{ file: '/home/u/case.yaml', name: 'case.yaml' }]);
    expect(t.map((m) => m.label)).toEqual(['&File', '&View', '&Lab', '&Help']);
    const shortcuts = (menu: string) => (find(t, menu).submenu as MenuItemOptions[]).filter((i) => i.label).map((i) => [i.label, i.accelerator ?? null]);
    expect(shortcuts('File')).toEqual([
      ['Open Scenario…', 'CmdOrCtrl+O'], ['Open Folder…', 'CmdOrCtrl+Shift+O'], ['Open Recent', null],
      ['Save Lab as Scenario…', 'CmdOrCtrl+S'], ['Export', null],
    ]);
    expect(shortcuts('View')).toEqual([
      ['Topology', 'CmdOrCtrl+1'], ['Queue', 'CmdOrCtrl+2'], ['Mailboxes', 'CmdOrCtrl+3'], ['Transcript', 'CmdOrCtrl+4'], ['Packets', 'CmdOrCtrl+5'],
      ['Terminal', 'CmdOrCtrl+6'], ['Firewall', 'CmdOrCtrl+7'], ['Server Logs', 'CmdOrCtrl+8'], ['Rehearse', 'CmdOrCtrl+9'],
      ['Toggle Dark Theme', 'CmdOrCtrl+Shift+D'],
    ]);
    expect((find(t, 'View').submenu as MenuItemOptions[]).map((i) => i.role).filter(Boolean)).toEqual(['zoomIn', 'zoomOut', 'resetZoom', 'toggleDevTools']);
    expect(shortcuts('Lab')).toEqual([
      ['Start Lab', 'CmdOrCtrl+L'], ['Stop Lab', 'CmdOrCtrl+Shift+L'], ['Restart Lab', 'CmdOrCtrl+R'], ['Run Next Step', 'F10'], ['Run All Steps', 'F5'],
    ]);
    expect((find(t, 'File').submenu as MenuItemOptions[]).at(-1)).toEqual({ role: 'quit' });
    const all = t.flatMap((m) => (m.submenu as MenuItemOptions[]).map((i) => i.accelerator).filter(Boolean));
    expect(new Set(all).size).toBe(all.length);
  });

  it('sends View and Lab items to the page, which runs the same code as its buttons', () => {
    const { deps, window } = setup();
    const t = template(deps, []);
    find(find(t, 'View').submenu!, 'Packets').click!();
    find(find(t, 'View').submenu!, 'Toggle Dark Theme').click!();
    find(find(t, 'Lab').submenu!, 'Run Next Step').click!();
    expect(window.webContents.send.mock.calls).toEqual([[CHANNELS.menu, 'tab:packets'], [CHANNELS.menu, 'theme:toggle'], [CHANNELS.menu, 'lab:next']]);
  });

  it('Open Scenario shows a native dialog for YAML files and opens the choice in the engine; cancel does nothing', async () => {
    const { deps, calls } = setup();
    const open = find(find(template(deps, []), 'File').submenu!, 'Open Scenario…');
    open.click!();
    await flush();
    expect(dialog.showOpenDialog).toHaveBeenCalledWith(deps.window, expect.objectContaining({ properties: ['openFile'], filters: [{ name: 'Postcard Lab scenarios', extensions: ['yaml', 'yml'] }] }));
    expect(calls).toEqual([]);
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/u/my-case.yaml'] });
    open.click!();
    await flush();
    expect(calls).toEqual([['desktop', { desktop: 'openFile', path: '/home/u/my-case.yaml' }]]);
  });

  it('Open Folder asks for a directory; Open Recent opens the listed file', async () => {
    const { deps, calls } = setup();
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/u/labs'] });
    await runDesktopAction(deps, 'open-folder');
    expect(dialog.showOpenDialog).toHaveBeenLastCalledWith(deps.window, expect.objectContaining({ properties: ['openDirectory'] }));
    const recent = find(find(template(deps, [{ file: '/home/u/case.yaml', name: 'case.yaml' }]), 'File').submenu!, 'Open Recent').submenu!;
    expect(recent.map((r) => [r.label, r.toolTip])).toEqual([['case.yaml', '/home/u/case.yaml']]);
    recent[0].click!();
    await flush();
    expect(calls).toEqual([['desktop', { desktop: 'openFolder', path: '/home/u/labs' }], ['desktop', { desktop: 'openFile', path: '/home/u/case.yaml' }]]);
    expect(find(find(template(deps, []), 'File').submenu!, 'Open Recent').submenu).toEqual([{ label: 'No recent files', enabled: false }]);
  });

  it('Save Lab as Scenario records the lab, asks where with its suggested name, and saves there', async () => {
    const { deps, calls, answers } = setup();
    answers.set('recordScenario', { ok: true, result: { yaml: 'title: x\n', fileName: 'postcard-recorded.yaml', messages: 1, changes: 0 } });
    dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '/home/u/regression.yaml' });
    await runDesktopAction(deps, 'save-lab');
    expect(dialog.showSaveDialog).toHaveBeenCalledWith(deps.window, expect.objectContaining({ defaultPath: 'postcard-recorded.yaml' }));
    expect(calls).toEqual([['dispatch', 'recordScenario', {}], ['desktop', { desktop: 'saveText', path: '/home/u/regression.yaml', text: 'title: x\n' }]]);
  });

  it('shows an engine refusal in a native message box (no lab running), and asks nothing more', async () => {
    const { deps, answers } = setup();
    answers.set('recordScenario', { ok: false, error: { code: 'no-lab', message: 'the lab is not running; start it first' } });
    await runDesktopAction(deps, 'save-lab');
    expect(dialog.showMessageBox).toHaveBeenCalledWith(deps.window, expect.objectContaining({ type: 'warning', message: 'the lab is not running; start it first' }));
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
  });

  it('exports the capture, key log, transcripts and report to a chosen file, everything to a folder', async () => {
    const { deps, calls } = setup();
    for (const [action, file] of [['export:capture', '/tmp/a.pcapng'], ['export:keylog', '/tmp/k.txt'], ['export:transcripts', '/tmp/t.txt'], ['export:report', '/tmp/r.html']] as const) {
      dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: file });
      await runDesktopAction(deps, action);
    }
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/tmp/all'] });
    await runDesktopAction(deps, 'export:files');
    expect(calls).toEqual([
      ['desktop', { desktop: 'exportTo', kind: 'capture', path: '/tmp/a.pcapng' }],
      ['desktop', { desktop: 'exportTo', kind: 'keylog', path: '/tmp/k.txt' }],
      ['desktop', { desktop: 'exportTo', kind: 'transcripts', path: '/tmp/t.txt' }],
      ['desktop', { desktop: 'exportTo', kind: 'report', path: '/tmp/r.html' }],
      ['desktop', { desktop: 'exportTo', kind: 'files', path: '/tmp/all' }],
    ]);
    expect(dialog.showSaveDialog.mock.calls[0][1]).toMatchObject({ filters: [{ extensions: ['pcapng'] }] });
  });

  it('Help lists the shipped docs (opened by the system viewer) and About shows the version', async () => {
    const { deps, docsDir } = setup();
    const help = find(template(deps, []), 'Help').submenu!;
    const docs = find(help, 'Documentation').submenu!;
    expect(docs.map((d) => d.label)).toEqual(['authoring', 'scenario-format']);
    docs[0].click!();
    expect(shell.openPath).toHaveBeenCalledWith(path.join(docsDir, 'authoring.md'));
    find(help, 'About Postcard Lab').click!();
    await flush();
    expect(dialog.showMessageBox).toHaveBeenCalledWith(deps.window, expect.objectContaining({ title: 'About Postcard Lab', message: 'Postcard Lab 0.1.0' }));
    const empty = setup([]);
    expect(find(find(template(empty.deps, []), 'Help').submenu!, 'Documentation').submenu).toEqual([{ label: 'No documentation found', enabled: false }]);
  });

  it('is installed as the application menu with the recent files from the engine', async () => {
    const { deps, answers } = setup();
    answers.set('listRecent', { ok: true, result: { files: [{ file: '/x/a.yaml', name: 'a.yaml' }] } });
    await setupMenu(deps);
    expect(Menu.setApplicationMenu).toHaveBeenCalledTimes(1);
    expect(find(find(Menu.template!, 'File').submenu!, 'Open Recent').submenu!.map((i) => i.label)).toEqual(['a.yaml']);
  });
});
