/** The runner's steps on a live lab (app/scenario/run.ts `runStep`): a step that fails changes nothing. */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLab } from '../../app/lab/lab.ts';
import { runStep } from '../../app/scenario/run.ts';
import { twoOrgs } from '../helpers/lab.ts';

describe('runStep: advance', () => {
  it('refuses a move past 9999-12-31 before the clock moves or the journal records it; the lab goes on', async () => {
    const lab = await createLab(twoOrgs((l) => { l.clock = { start: '9999-12-01T00:00:00Z' }; }));
    onTestFinished(() => lab.stop());
    const before = lab.clock.now();
    await expect(runStep(lab, { advance: '100d' })).rejects.toThrow('the lab clock cannot move past 9999-12-31T23:59:59.999Z');
    await expect(runStep(lab, { advance: '99999999999w' })).rejects.toThrow('advance: at most 36500d (100 years), not "99999999999w"');
    expect(lab.clock.now()).toBe(before);
    expect(lab.journal.entries.filter((e) => e.kind === 'advance')).toEqual([]);

    expect(await runStep(lab, { send: { id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'Late', body: 'Hi' } })).toMatchObject({ status: 'passed' });
    expect(await runStep(lab, { advance: '1h' })).toEqual({ status: 'passed', message: 'clock at 9999-12-01T01:00:00.000Z' });
    expect(await runStep(lab, { expect: { message: 'm1', outcome: 'delivered', at: 'any' } })).toMatchObject({ status: 'passed' });
  });
});
