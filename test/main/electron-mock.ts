// A stand-in for the `electron` module (vi.mock('electron', …)), recording what main/ asks of it,
// so every point of the security checklist is tested without the Electron binary.
import { vi } from 'vitest';

type Listener = (...args: unknown[]) => void;

class Emitterish {
  listeners = new Map<string, Listener[]>();
  on = vi.fn((name: string, fn: Listener) => {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
    return this;
  });
  once = vi.fn((name: string, fn: Listener) => this.on(name, fn));
  emit(name: string, ...args: unknown[]): void {
    for (const fn of this.listeners.get(name) ?? []) fn(...args);
  }
}

export class FakeFrame {
  constructor(public url: string) {}
}

let nextId = 1;
export class FakeWebContents extends Emitterish {
  id = nextId++;
  mainFrame = new FakeFrame('postcard://app/index.html');
  send = vi.fn();
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  setWindowOpenHandler = vi.fn((fn: (details: { url: string }) => { action: string }) => {
    this.windowOpenHandler = fn;
  });
}

export class BrowserWindow extends Emitterish {
  static instances: BrowserWindow[] = [];
  static getAllWindows = () => BrowserWindow.instances;
  webContents = new FakeWebContents();
  destroyed = false;
  loadURL = vi.fn(async () => undefined);
  show = vi.fn();
  isDestroyed = () => this.destroyed;
  constructor(public options: { webPreferences: Record<string, unknown> } & Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
  }
}

export const app = Object.assign(new Emitterish(), {
  getVersion: vi.fn(() => '0.1.0'),
  enableSandbox: vi.fn(),
  quit: vi.fn(),
  isPackaged: false,
  getPath: vi.fn((name: string) => `/home/user/.config/postcard-lab/${name}`),
  whenReady: vi.fn(() => new Promise<void>(() => {})),
});

export const ipcMain = {
  handlers: new Map<string, (...args: unknown[]) => unknown>(),
  handle: vi.fn((channel: string, fn: (...args: unknown[]) => unknown) => {
    if (ipcMain.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    ipcMain.handlers.set(channel, fn);
  }),
  removeHandler: vi.fn((channel: string) => ipcMain.handlers.delete(channel)),
  on: vi.fn(),
};

export const protocol = {
  registerSchemesAsPrivileged: vi.fn(),
  handlers: new Map<string, (request: { url: string }) => Response | Promise<Response>>(),
  handle: vi.fn((scheme: string, fn: (request: { url: string }) => Response) => protocol.handlers.set(scheme, fn)),
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    webRequest: { onBeforeRequest: vi.fn() },
  },
};

export const contextBridge = { exposeInMainWorld: vi.fn() };

/** Native dialogs: each test queues the answers the user "gives". */
export const dialog = {
  showOpenDialog: vi.fn(async (..._args: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> => ({ canceled: true, filePaths: [] })),
  showSaveDialog: vi.fn(async (..._args: unknown[]): Promise<{ canceled: boolean; filePath?: string }> => ({ canceled: true })),
  showMessageBox: vi.fn(async (..._args: unknown[]) => ({ response: 0 })),
};

export const shell = { openPath: vi.fn(async () => '') };

export interface MenuItemOptions {
  label?: string;
  role?: string;
  type?: string;
  accelerator?: string;
  enabled?: boolean;
  toolTip?: string;
  click?: () => void;
  submenu?: MenuItemOptions[];
}

export const Menu = {
  template: undefined as MenuItemOptions[] | undefined,
  buildFromTemplate: vi.fn((template: MenuItemOptions[]) => ({ template })),
  setApplicationMenu: vi.fn((menu: { template: MenuItemOptions[] }) => {
    Menu.template = menu.template;
  }),
};

/** One end of a MessageChannelMain: messages posted on one end arrive on the other as `{ data }`. */
export class FakePort extends Emitterish {
  other?: FakePort;
  started = false;
  closed = false;
  posted: unknown[] = [];
  postMessage = vi.fn((data: unknown) => {
    this.posted.push(data);
    const to = this.other;
    if (to && !to.closed) queueMicrotask(() => to.emit('message', { data }));
  });
  start = vi.fn(() => {
    this.started = true;
  });
  close = vi.fn(() => {
    this.closed = true;
  });
}

export class MessageChannelMain {
  port1 = new FakePort();
  port2 = new FakePort();
  constructor() {
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

export class FakeUtilityProcess extends Emitterish {
  static instances: FakeUtilityProcess[] = [];
  hello: { message: unknown; ports: FakePort[] } | undefined;
  kill = vi.fn(() => true);
  postMessage = vi.fn((message: unknown, ports: FakePort[] = []) => {
    this.hello = { message, ports };
  });
  constructor(public entry: string, public args: string[], public options: Record<string, unknown>) {
    super();
    FakeUtilityProcess.instances.push(this);
  }
}

export const utilityProcess = {
  fork: vi.fn((entry: string, args: string[] = [], options: Record<string, unknown> = {}) => new FakeUtilityProcess(entry, args, options)),
};

export const ipcRenderer = Object.assign(new Emitterish(), {
  invoke: vi.fn(async (): Promise<unknown> => ({ ok: true, result: {} })),
  removeListener: vi.fn(),
  send: vi.fn(),
});

export function resetElectronMock(): void {
  BrowserWindow.instances = [];
  FakeUtilityProcess.instances = [];
  Menu.template = undefined;
  ipcMain.handlers.clear();
  protocol.handlers.clear();
  vi.clearAllMocks();
}
