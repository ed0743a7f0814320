/**
 * App-wide guards, set once before the window exists (Electron security checklist):
 *  - no navigation: the single-page UI never leaves `postcard://app/` (will-navigate, will-redirect);
 *  - no new windows (setWindowOpenHandler → deny) and no <webview> (will-attach-webview);
 *  - no remote content: every request that is not for the app scheme is cancelled;
 *  - no permissions (camera, notifications, …): every request and check is denied.
 */
import { app, session, type WebContents } from 'electron';
import { APP_ORIGIN } from './channels.ts';

export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function setupSecurity(): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onBeforeRequest((details, callback) => {
    // devtools: lets the developer tools load their own pages; everything else must be ours.
    callback({ cancel: !(isAppUrl(details.url) || details.url.startsWith('devtools://')) });
  });
}
