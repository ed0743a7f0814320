import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock.ts'));
const { app, session, FakeWebContents, resetElectronMock } = await import('./electron-mock.ts');
const { setupSecurity, isAppUrl } = await import('../../main/security.ts');

beforeEach(() => {
  resetElectronMock();
  app.listeners.clear();
});

function guardedContents() {
  setupSecurity();
  const contents = new FakeWebContents();
  app.emit('web-contents-created', {}, contents);
  return contents;
}

describe('app-wide guards (Electron security checklist)', () => {
  it('blocks navigation away from the page', () => {
    const contents = guardedContents();
    for (const event of ['will-navigate', 'will-redirect']) {
      const e = { preventDefault: vi.fn() };
      contents.emit(event, e, 'https://evil.example/');
      expect(e.preventDefault, event).toHaveBeenCalled();
    }
  });

  it('blocks new windows and <webview>', () => {
    const contents = guardedContents();
    expect(contents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'postcard://app/index.html' })).toEqual({ action: 'deny' });
    const e = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', e, {}, {});
    expect(e.preventDefault).toHaveBeenCalled();
  });

  it('loads no remote content: every request that is not for the app scheme is cancelled', () => {
    setupSecurity();
    const filter = session.defaultSession.webRequest.onBeforeRequest.mock.calls[0][0] as (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;
    const decide = (url: string) => {
      let cancel: boolean | undefined;
      filter({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(decide('postcard://app/assets/index.js')).toBe(false);
    expect(decide('https://cdn.example/lib.js')).toBe(true);
    expect(decide('http://127.0.0.1:5317/ws')).toBe(true);
    expect(decide('file:///etc/passwd')).toBe(true);
    expect(decide('postcard://evil/index.html')).toBe(true);
  });

  it('grants no permission (camera, notifications, …)', () => {
    setupSecurity();
    const request = session.defaultSession.setPermissionRequestHandler.mock.calls[0][0] as (wc: unknown, p: string, cb: (ok: boolean) => void) => void;
    const answers: boolean[] = [];
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) request({}, permission, (ok) => answers.push(ok));
    expect(answers).toEqual([false, false, false, false]);
    const check = session.defaultSession.setPermissionCheckHandler.mock.calls[0][0] as () => boolean;
    expect(check()).toBe(false);
  });

  it('knows its own origin exactly', () => {
    expect(isAppUrl('postcard://app/index.html')).toBe(true);
    expect(isAppUrl('postcard://app.evil/index.html')).toBe(false);
    expect(isAppUrl('https://app/')).toBe(false);
    expect(isAppUrl('::')).toBe(false);
  });
});
