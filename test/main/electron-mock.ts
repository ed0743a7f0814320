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

export const ipcRenderer = Object.assign(new Emitterish(), {
  invoke: vi.fn(async (): Promise<unknown> => ({ ok: true, result: {} })),
  removeListener: vi.fn(),
  send: vi.fn(),
});

export function resetElectronMock(): void {
  BrowserWindow.instances = [];
  ipcMain.handlers.clear();
  protocol.handlers.clear();
  vi.clearAllMocks();
}
