/**
 * The desktop app's extras (main/preload.ts exposes them as `window.postcardDesktop`): menu
 * actions the page carries out, and the File buttons' native dialogs. Absent in a browser, where
 * the File bar uses a file picker, drag and drop and downloads instead.
 */
import type { DesktopAction, MenuAction } from '../../main/channels.ts';

export type { DesktopAction, MenuAction };

export interface DesktopApi {
  onMenu(listener: (action: MenuAction) => void): () => void;
  run(action: DesktopAction): Promise<void>;
}

declare global {
  interface Window {
    postcardDesktop?: DesktopApi;
  }
}

export function desktopApi(): DesktopApi | undefined {
  return window.postcardDesktop;
}
