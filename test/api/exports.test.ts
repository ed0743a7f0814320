/**
 * The window's Export ▸ Report (HTML) of a lab in progress (app/api/exports.ts): every step of the
 * scenario is listed, run or not, and a lab exported part way through reads incomplete, never passed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { exportFile } from '../../app/api/exports.ts';
import { drive, type Driven } from './helpers.ts';

let d: Driven | undefined;
afterEach(async () => {
  await d?.session.close();
  d = undefined;
});

const report = (x: Driven) => exportFile(x.session, 'report').data.toString('utf8');

describe('Export ▸ Report of the open lab', () => {
  it('is incomplete until every step has run, lists the steps not run, and passes once they have', async () => {
    d = drive();
    await d.call('openScenario', { id: 'ntlm-one-way' });
    await d.call('startLab', {});
    // Nothing run yet: no pass claimed.
    let page = report(d);
    expect(page).toContain('<h1>Postcard Lab: 0 passed, 0 failed, 1 incomplete</h1>');
    expect(page).toContain('… incomplete');
    expect(page).not.toContain('✓ passed');
    const steps = (await d.call('currentScenario', {})).scenario!.steps;
    expect(page.match(/— not run yet/g)).toHaveLength(steps.length);

    // The first Next step stops at the checkpoint, which waits for the learner: still not run.
    await d.call('runNextStep', {});
    page = report(d);
    expect(page).toContain('1 incomplete');
    expect(page).toMatch(/<li class="skipped"><span class="mark" aria-hidden="true">–<\/span> <b>checkpoint<\/b> add-ntsol — not run yet/);

    await d.call('runAllSteps', {});
    page = report(d);
    expect(page).toContain('<h1>Postcard Lab: 1 passed, 0 failed</h1>');
    expect(page).not.toContain('not run yet');
  });
});
