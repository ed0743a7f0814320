/**
 * The application menu and its native dialogs (docs/authoring.md lists every item and shortcut):
 *
 *   File   Open Scenario… (Ctrl+O), Open Folder… (Ctrl+Shift+O), Open Recent ▸, Save Lab as
 *          Scenario… (Ctrl+S), Export ▸ capture / key log / transcripts / report / all files, Quit
 *   View   the nine tabs (Ctrl+1…9), Toggle Dark Theme (Ctrl+Shift+D), zoom in / out / reset
 *   Lab    Start (Ctrl+L), Stop (Ctrl+Shift+L), Restart (Ctrl+R), Run Next Step (F10), Run All (F5)
 *   Help   the docs shipped with the app, About
 *
 * File items run here (a path from a native dialog goes to the engine as a `desktop` request, never
 * through the page); View and Lab items are sent to the page (CHANNELS.menu), which runs the same
 * code as its own buttons. The browser UI has a button for each (renderer/views/FileBar.svelte).
 */
import fs from 'node:fs';
import path from 'node:path';
import { app, dialog, Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { OpenedFile, RecordedScenario, Result } from '../app/api/contract.ts';
import { CHANNELS, type DesktopAction, type MenuAction } from './channels.ts';
import type { Engine } from './engine-client.ts';

export interface MenuDeps {
  window: BrowserWindow;
  engine: Engine;
  /** The docs shipped with the app (resources/docs when packaged). */
  docsDir: string;
}

const YAML_FILTER = [{ name: 'Postcard Lab scenarios', extensions: ['yaml', 'yml'] }];

async function warn(deps: MenuDeps, message: string): Promise<void> {
  await dialog.showMessageBox(deps.window, { type: 'warning', title: 'Postcard Lab', message });
}

/** A failed engine call becomes a native message; a successful one hands back its result. */
async function check<T>(deps: MenuDeps, r: Result<unknown>): Promise<T | undefined> {
  if (r.ok) return r.result as T;
  await warn(deps, r.error.message);
  return undefined;
}

export function send(deps: MenuDeps, action: MenuAction): void {
  if (!deps.window.isDestroyed()) deps.window.webContents.send(CHANNELS.menu, action);
}

export async function openScenarioDialog(deps: MenuDeps): Promise<void> {
  const r = await dialog.showOpenDialog(deps.window, { title: 'Open Scenario', properties: ['openFile'], filters: YAML_FILTER });
  if (r.canceled || r.filePaths.length !== 1) return;
  await openFile(deps, r.filePaths[0]);
}

/** Open a file the user chose (dialog or recent): the page hears `scenario.file` (opened, or invalid with the errors). */
export async function openFile(deps: MenuDeps, file: string): Promise<OpenedFile | undefined> {
  return check<OpenedFile>(deps, await deps.engine.desktop({ desktop: 'openFile', path: file }));
}

export async function openFolderDialog(deps: MenuDeps): Promise<void> {
  const r = await dialog.showOpenDialog(deps.window, { title: 'Open Scenario Folder', properties: ['openDirectory'] });
  if (r.canceled || r.filePaths.length !== 1) return;
  await check(deps, await deps.engine.desktop({ desktop: 'openFolder', path: r.filePaths[0] }));
}

export async function saveLabDialog(deps: MenuDeps): Promise<void> {
  const recorded = await check<RecordedScenario>(deps, await deps.engine.dispatch('recordScenario', {}));
  if (!recorded) return;
  const r = await dialog.showSaveDialog(deps.window, { title: 'Save Lab as Scenario', defaultPath: recorded.fileName, filters: YAML_FILTER });
  if (r.canceled || !r.filePath) return;
  await check(deps, await deps.engine.desktop({ desktop: 'saveText', path: r.filePath, text: recorded.yaml }));
}

export const EXPORTS = [
  { kind: 'capture', label: 'Capture (pcapng)…', extensions: ['pcapng'] },
  { kind: 'keylog', label: 'TLS Key Log…', extensions: ['txt'] },
  { kind: 'transcripts', label: 'Transcripts…', extensions: ['txt'] },
  { kind: 'report', label: 'Report (HTML)…', extensions: ['html'] },
] as const;

export async function exportDialog(deps: MenuDeps, kind: (typeof EXPORTS)[number]['kind'] | 'files'): Promise<void> {
  const spec = EXPORTS.find((e) => e.kind === kind);
  const r = spec
    ? await dialog.showSaveDialog(deps.window, { title: `Export ${spec.label.replace('…', '')}`, filters: [{ name: spec.label, extensions: [...spec.extensions] }] })
    : await dialog.showOpenDialog(deps.window, { title: 'Export All Files to a Folder', properties: ['openDirectory', 'createDirectory'] });
  const target = 'filePaths' in r ? r.filePaths[0] : r.filePath;
  if (r.canceled || !target) return;
  await check(deps, await deps.engine.desktop({ desktop: 'exportTo', kind, path: target }));
}

export async function showAbout(deps: MenuDeps): Promise<void> {
  await dialog.showMessageBox(deps.window, {
    type: 'info', title: 'About Postcard Lab',
    message: `Postcard Lab ${app.getVersion()}`,
    detail: `A mail-security simulator: two organisations' mail servers, a firewall between them, and a packet view.\nElectron ${process.versions.electron ?? '?'}, Node ${process.versions.node}.`,
  });
}

/** The shipped docs, one menu item each, opened by the system's viewer for Markdown. */
export function docItems(deps: MenuDeps): MenuItemConstructorOptions[] {
  let names: string[];
  try {
    names = fs.readdirSync(deps.docsDir).filter((f) => f.endsWith('.md')).sort();
  } catch {
    names = [];
  }
  if (names.length === 0) return [{ label: 'No documentation found', enabled: false }];
  return names.map((name) => ({ label: name.replace(/\.md$/, ''), click: () => void shell.openPath(path.join(deps.docsDir, name)) }));
}

export function menuTemplate(deps: MenuDeps, recent: { file: string; name: string }[]): MenuItemConstructorOptions[] {
  const act = (action: MenuAction) => () => send(deps, action);
  return [
    {
      label: '&File',
      submenu: [
        { label: 'Open Scenario…', accelerator: 'CmdOrCtrl+O', click: () => void openScenarioDialog(deps) },
        { label: 'Open Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void openFolderDialog(deps) },
        {
          label: 'Open Recent',
          submenu: recent.length ? recent.map((r) => ({ label: r.name, toolTip: r.file, click: () => void openFile(deps, r.file) })) : [{ label: 'No recent files', enabled: false }],
        },
        { type: 'separator' },
        { label: 'Save Lab as Scenario…', accelerator: 'CmdOrCtrl+S', click: () => void saveLabDialog(deps) },
        {
          label: 'Export',
          submenu: [
            ...EXPORTS.map((e) => ({ label: e.label, click: () => void exportDialog(deps, e.kind) })),
            { label: 'All Files to a Folder…', click: () => void exportDialog(deps, 'files') },
          ],
        },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: '&View',
      submenu: [
        { label: 'Topology', accelerator: 'CmdOrCtrl+1', click: act('tab:topology') },
        { label: 'Queue', accelerator: 'CmdOrCtrl+2', click: act('tab:queue') },
        { label: 'Mailboxes', accelerator: 'CmdOrCtrl+3', click: act('tab:mail') },
        { label: 'Transcript', accelerator: 'CmdOrCtrl+4', click: act('tab:transcript') },
        { label: 'Packets', accelerator: 'CmdOrCtrl+5', click: act('tab:packets') },
        { label: 'Terminal', accelerator: 'CmdOrCtrl+6', click: act('tab:terminal') },
        { label: 'Firewall', accelerator: 'CmdOrCtrl+7', click: act('tab:firewall') },
        { label: 'Server Logs', accelerator: 'CmdOrCtrl+8', click: act('tab:logs') },
        { label: 'Rehearse', accelerator: 'CmdOrCtrl+9', click: act('tab:rehearse') },
        { type: 'separator' },
        { label: 'Toggle Dark Theme', accelerator: 'CmdOrCtrl+Shift+D', click: act('theme:toggle') },
        { type: 'separator' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'resetZoom' },
        ...(app.isPackaged ? [] : [{ type: 'separator' as const }, { role: 'toggleDevTools' as const }]),
      ],
    },
    {
      label: '&Lab',
      submenu: [
        { label: 'Start Lab', accelerator: 'CmdOrCtrl+L', click: act('lab:start') },
        { label: 'Stop Lab', accelerator: 'CmdOrCtrl+Shift+L', click: act('lab:stop') },
        { label: 'Restart Lab', accelerator: 'CmdOrCtrl+R', click: act('lab:restart') },
        { type: 'separator' },
        { label: 'Run Next Step', accelerator: 'F10', click: act('lab:next') },
        { label: 'Run All Steps', accelerator: 'F5', click: act('lab:all') },
      ],
    },
    {
      label: '&Help',
      submenu: [
        { label: 'Documentation', submenu: docItems(deps) },
        { type: 'separator' },
        { label: 'About Postcard Lab', click: () => void showAbout(deps) },
      ],
    },
  ];
}

/** A File button of the page (desktop app): the same dialog as the menu item. */
export function runDesktopAction(deps: MenuDeps, action: DesktopAction): Promise<void> {
  switch (action) {
    case 'open-file': return openScenarioDialog(deps);
    case 'open-folder': return openFolderDialog(deps);
    case 'save-lab': return saveLabDialog(deps);
    case 'export:capture': return exportDialog(deps, 'capture');
    case 'export:keylog': return exportDialog(deps, 'keylog');
    case 'export:transcripts': return exportDialog(deps, 'transcripts');
    case 'export:report': return exportDialog(deps, 'report');
    case 'export:files': return exportDialog(deps, 'files');
    default: {
      const never: never = action;
      throw new Error(`unknown desktop action ${String(never)}`);
    }
  }
}

/** Install the menu, and rebuild it when a file is opened (Open Recent follows). */
export async function setupMenu(deps: MenuDeps): Promise<void> {
  const build = async () => {
    const r = await deps.engine.dispatch('listRecent', {});
    const recent = r.ok ? (r.result as { files: { file: string; name: string }[] }).files : [];
    Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(deps, recent)));
  };
  deps.engine.subscribe((e) => {
    if ((e.event === 'scenario.file' && e.payload.status === 'opened') || e.event === 'session.changed') void build();
  });
  await build();
}
