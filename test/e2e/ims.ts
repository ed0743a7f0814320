// The change most lessons ask for, made as a learner makes it: on Intellinet's card, Add… opens the
// IMS "E-Mail Domain security information" dialog (docs/lab.md, "Outbound security"), and the entry
// for ntsol.example is Windows NT challenge/response with NT Solutions' account for Intellinet.
import type { Locator, Page } from '@playwright/test';

/** Opens the dialog and fills it; returns the dialog, not yet confirmed (the caller presses OK). */
export async function fillNtlmEntry(page: Page, password = 'Sunrise-42'): Promise<Locator> {
  const intellinet = page.getByRole('article', { name: 'intellinet.example' });
  await intellinet.getByRole('button', { name: 'Add a domain to the security table of intellinet.example' }).click();
  const dialog = page.getByRole('dialog', { name: 'E-Mail Domain security information' });
  await dialog.getByLabel('E-Mail domain').fill('ntsol.example');
  await dialog.getByRole('radio', { name: 'Windows NT challenge/response authentication and encryption' }).check();
  await dialog.getByLabel('NT domain').fill('INTELLINET');
  await dialog.getByLabel('Account').fill('DOUG');
  await dialog.getByLabel('Password', { exact: true }).fill(password);
  return dialog;
}
