// The desktop menu's page actions in a real browser: main/preload.ts hands the page each View and
// Lab item as a `MenuAction` (main/channels.ts); here a stand-in for `window.postcardDesktop` sends
// them, so the page's side is checked without the Electron binary (test/main/menu.test.ts checks
// that each menu item sends its action).
import { test, expect } from '@playwright/test';
import { openFromList, servePerFile } from './serve.ts';

const served = servePerFile();

test('View ▸ every tab (Ctrl+1 … Ctrl+9) selects its tab, and Run All Steps runs the story', async ({ page }) => {
  await page.addInitScript(() => {
    const w = window as unknown as { postcardDesktop: unknown; sendMenu: (action: string) => void };
    let listener: ((action: string) => void) | undefined;
    w.postcardDesktop = {
      onMenu: (l: (action: string) => void) => { listener = l; return () => { listener = undefined; }; },
      run: async () => {},
    };
    w.sendMenu = (action) => listener?.(action);
  });
  await openFromList(page, served().url, 'pix-mailguard');
  const send = (action: string) => page.evaluate((a) => (window as unknown as { sendMenu: (a: string) => void }).sendMenu(a), action);
  const tabs: [string, string][] = [
    ['tab:terminal', 'Terminal'], ['tab:firewall', 'Firewall'], ['tab:logs', 'Server logs'], ['tab:rehearse', 'Rehearse'],
    ['tab:topology', 'Topology'], ['tab:queue', 'Queue'], ['tab:mail', 'Mailboxes'], ['tab:transcript', 'Transcript'], ['tab:packets', 'Packets'],
  ];
  for (const [action, name] of tabs) {
    await send(action);
    await expect(page.getByRole('tab', { name, exact: true })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tabpanel')).toBeVisible();
  }
  await send('tab:firewall');
  await expect(page.getByRole('tabpanel')).toContainText('pix-5.1');
  await send('lab:all');
  await expect(page.getByText('6 passed · 6 in all')).toBeVisible({ timeout: 30_000 });
});
