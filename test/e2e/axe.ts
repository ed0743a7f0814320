// axe-core in the page (a well-kept accessibility checker, a dev dependency): evaluated through
// the devtools protocol, so the page's CSP (no inline script) stays as it is. Serious and
// critical violations fail the test, with the rule and the first nodes it names.
import fs from 'node:fs';
import { expect, type Page } from '@playwright/test';

const AXE_SOURCE = fs.readFileSync('node_modules/axe-core/axe.min.js', 'utf8');

interface AxeViolation { id: string; impact: string; help: string; nodes: { target: string[] }[] }
interface AxeGlobal { axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> }; document: unknown }

export async function axe(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as AxeGlobal;
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${what}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}
