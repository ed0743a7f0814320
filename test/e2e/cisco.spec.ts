import { test, expect } from '@playwright/test';
import { servePerFile } from './serve.ts';

const served = servePerFile();

// Issue 14's PIX and IMS details on screen: the PIX's EHLO outcome chosen in the Rehearse tab and
// named in the Firewall view (docs/firewall-config.md), and the IMS Connections tab per interface
// (docs/products.md), both on the mailguard-blind-auth lab (a PIX, and a second interface).
for (const scheme of ['light', 'dark'] as const) {
  test(`the PIX EHLO outcome, selected and shown (${scheme})`, async ({ page }) => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(served().url);
    await page.getByRole('button', { name: /^Open scenario mailguard-blind-auth:/ }).click();
    await expect(page.getByText('Lab running')).toBeVisible();
    await page.getByRole('tab', { name: 'Rehearse' }).click();
    const fw = page.getByRole('group', { name: /^Firewall on / }).first();
    await expect(fw).toContainText('EHLO answered 250 OK');
    await fw.getByLabel('EHLO outcome').selectOption('x');
    await fw.getByRole('button', { name: 'Apply' }).click();
    await expect(fw.getByRole('status')).toContainText('Profile set');
    await expect(fw).toContainText('EHLO answered 500 Command unrecognized');
    await page.screenshot({ path: `test-results/cisco-pix-ehlo-rehearse-${scheme}.png`, fullPage: true });
    await page.getByRole('tab', { name: 'Firewall' }).click();
    await expect(page.getByLabel('EHLO outcome')).toContainText('EHLO is answered 500 Command unrecognized');
    await expect(page.getByLabel('Firewall configuration')).toContainText('! EHLO outcome: 500 Command unrecognized');
    await page.screenshot({ path: `test-results/cisco-pix-ehlo-firewall-${scheme}.png`, fullPage: true });
  });

  test(`the IMS Connections tab, per interface (${scheme})`, async ({ page }) => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(served().url);
    await page.getByRole('button', { name: /^Open scenario mailguard-blind-auth:/ }).click();
    await expect(page.getByText('Lab running')).toBeVisible();
    await page.getByRole('tab', { name: 'Topology' }).click();
    const hosts = page.getByRole('list', { name: 'Hosts of ntsol.example' });
    await expect(hosts).toContainText('accepts mail from any host');
    await page.getByRole('button', { name: 'Connections of ntsol.example' }).click();
    const dialog = page.getByRole('dialog', { name: /Connections/ });
    await expect(dialog).toBeVisible();
    const secure = dialog.getByRole('group', { name: /secure\.ntsol\.example/ });
    await secure.getByLabel('Only from hosts using: Authentication', { exact: true }).check();
    await page.screenshot({ path: `test-results/cisco-ims-connections-dialog-${scheme}.png` });
    await dialog.getByRole('button', { name: 'OK' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('status').filter({ hasText: 'Connections changed on secure.ntsol.example' })).toBeVisible();
    await expect(hosts.getByRole('listitem').filter({ hasText: 'secure.ntsol.example' })).toContainText('accepts mail only from hosts using authentication');
    await expect(hosts.getByRole('listitem').filter({ hasText: 'mail.ntsol.example' })).toContainText('accepts mail from any host');
    await page.screenshot({ path: `test-results/cisco-ims-connections-hosts-${scheme}.png`, fullPage: true });
  });
}
