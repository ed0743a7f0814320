// Checkpoints in the UI (docs/scenario-format.md): "Next step" leaves an unmet checkpoint to the learner instead of
// applying its solution; running it again checks the learner's work; "Show me" (solve) and
// "Run all steps" apply the solution, as the headless runner does.
import { afterEach, describe, expect, it } from 'vitest';
import { validateRequest } from '../../app/api/contract.ts';
import { drive, type Driven } from './helpers.ts';

const ASK = 'On Intellinet\'s server, add ntsol.example to the security table with Windows NT challenge/response authentication and encryption, logging on as INTELLINET\\DOUG.';

const open: Driven[] = [];
async function oneWay(): Promise<Driven> {
  const d = drive();
  open.push(d);
  await d.call('openScenario', { id: 'ntlm-one-way' });
  await d.call('startLab', {});
  return d;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.session.close()));
});

const intellinetSecurity = async (d: Driven) => (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.security;

describe('a checkpoint as the next step', () => {
  it('names a nested setting the lab differs in by its dotted name, not as JSON (tls10-meets-tls12)', async () => {
    const d = drive();
    open.push(d);
    await d.call('openScenario', { id: 'tls10-meets-tls12' });
    await d.call('startLab', {});
    let run = await d.call('runNextStep', {});
    while (run.results[0].kind !== 'checkpoint') run = await d.call('runNextStep', {});
    expect(run.results[0]).toMatchObject({ status: 'pending', message: 'not yet: ntsol.example\'s inbound policy: tls.minVersion is "TLSv1.2", not "TLSv1"' });
  });

  it('waits for the learner: pending with its question, the cursor stays, nothing is applied', async () => {
    const d = await oneWay();
    const run = await d.call('runNextStep', {});
    expect(run).toEqual({
      results: [{ index: 0, kind: 'checkpoint', status: 'pending', name: 'add-ntsol', ask: ASK, message: 'not yet: intellinet.example\'s security table has no entry for ntsol.example yet' }],
      next: 0, done: false,
    });
    expect(await intellinetSecurity(d)).toEqual([]);
    // Asking again without a change is the learner's "Check": still not true, still step 1.
    expect((await d.call('runNextStep', { solve: false })).results[0].status).toBe('pending');
    const snap = await d.call('getSnapshot', {});
    expect(snap.nextStep).toBe(0);
    expect(snap.results).toEqual([]);
    // Other windows hear about the question too, with the cursor unchanged.
    const pushed = d.events.flatMap((e) => (e.event === 'step.result' ? [[e.payload.result.status, e.payload.next]] : []));
    expect(pushed).toEqual([['pending', 0], ['pending', 0]]);
  });

  it('passes once the learner made it true in the IMS dialog, and the message then crosses sealed at 40 bits', async () => {
    const d = await oneWay();
    await d.call('runNextStep', {});
    const saved = await d.call('saveSecurity', {
      org: 'intellinet', domain: 'ntsol.example',
      setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } },
    });
    expect(saved.what).toBe('security for ntsol.example set to ntlm');
    const check = await d.call('runNextStep', {});
    expect(check.results).toEqual([{ index: 0, kind: 'checkpoint', status: 'passed', name: 'add-ntsol', message: 'done: the lab matches this checkpoint, and it works' }]);
    expect(check).toMatchObject({ next: 1, done: false });

    const rest = await d.call('runAllSteps', {});
    expect(rest.results.map((r) => `${r.kind} ${r.name}: ${r.status}`)).toEqual([
      'send m1: passed', 'expect m1 delivered encrypted: passed', 'expect m1: passed',
      'send r1: passed', 'expect r1 delivered cleartext: passed',
    ]);
    expect(rest.done).toBe(true);
  });

  it('keeps waiting after a change that does not match (TLS instead of NT challenge/response)', async () => {
    const d = await oneWay();
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'sasl-ssl', sslEncryption: true } });
    expect((await d.call('runNextStep', {})).results[0].status).toBe('pending');
  });

  it('keeps waiting when the password is wrong, with a hint that names the refusal but never the password', async () => {
    const d = await oneWay();
    await d.call('saveSecurity', {
      org: 'intellinet', domain: 'ntsol.example',
      setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'guess' } },
    });
    const wrong = (await d.call('runNextStep', {})).results[0];
    expect(wrong.status).toBe('pending');
    expect(wrong.message).toBe('not yet: ntsol.example\'s server refuses the logon as INTELLINET\\DOUG: the password does not match the account (a real session would get 535 and bounce). Check the password the partner\'s administrator gave you.');
    expect(wrong.message).not.toContain('Sunrise-42');
    // A wrong account name, and a disabled account, each say so.
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUGG', password: 'Sunrise-42' } } });
    expect((await d.call('runNextStep', {})).results[0].message).toContain('has no account INTELLINET\\DOUGG');
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } } });
    await d.call('applyAction', { org: 'ntsol', disableAccount: { domain: 'INTELLINET', user: 'DOUG' } });
    expect((await d.call('runNextStep', {})).results[0].message).toContain('the account is disabled there');
    // Creating it again is refused (it exists); enabling it is the fix.
    expect(await d.fail('applyAction', { org: 'ntsol', createAccount: { domain: 'intellinet', user: 'doug', password: 'x' } })).toMatchObject({ message: expect.stringContaining('ntsol already has an account intellinet\\doug: change its password, enable it, or delete it first') });
    await d.call('applyAction', { org: 'ntsol', enableAccount: { domain: 'INTELLINET', user: 'DOUG' } });
    expect((await d.call('runNextStep', {})).results[0].status).toBe('passed');
  });

  it('re-runs a failed step after the fix: rewind to the send, and the message goes again under the same id', async () => {
    const d = await oneWay();
    // The checkpoint passed by its solution; then the partner changes the password: m1 bounces (535).
    await d.call('runNextStep', { solve: true });
    await d.call('applyAction', { org: 'ntsol', setPassword: { domain: 'INTELLINET', user: 'DOUG', password: 'Changed-1' } });
    const failed = await d.call('runAllSteps', {});
    expect(failed.results.find((r) => r.name === 'm1 delivered encrypted')?.status).toBe('failed');
    // Rewinding past the cursor is refused in words.
    await expect(d.call('rewindSteps', { to: 99 })).rejects.toThrow('rewindSteps: step 100 has not run yet');
    // The fix: the learner types the new password; then step 2 (send m1) runs again.
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Changed-1' } } });
    expect(await d.call('rewindSteps', { to: 1 })).toEqual({ next: 1, results: [expect.objectContaining({ index: 0, status: 'passed' })] });
    const again = await d.call('runAllSteps', {});
    expect(again.results.map((r) => r.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
  });

  it('restarts keeping the learner\'s changes: a fresh queue, the same security table', async () => {
    const d = await oneWay();
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } } });
    await d.call('sendMessage', { id: 'hand1', from: 'alice@intellinet.example', to: 'sean@ntsol.example' });
    const kept = await d.call('startLab', { keepChanges: true });
    expect(kept.orgs.find((o) => o.id === 'intellinet')!.security).toEqual([expect.objectContaining({ domain: 'ntsol.example', method: 'ntlm' })]);
    expect(kept.orgs.flatMap((o) => o.queue)).toEqual([]);
    expect((await d.call('runNextStep', {})).results[0].status).toBe('passed');
    const fresh = await d.call('startLab', {});
    expect(fresh.orgs.find((o) => o.id === 'intellinet')!.security).toEqual([]);
  });

  it('"Show me" applies the solution and moves on', async () => {
    const d = await oneWay();
    await d.call('runNextStep', {});
    const shown = await d.call('runNextStep', { solve: true });
    expect(shown.results).toEqual([{ index: 0, kind: 'checkpoint', status: 'passed', name: 'add-ntsol', message: 'solution applied' }]);
    expect(shown.next).toBe(1);
    expect(await intellinetSecurity(d)).toEqual([expect.objectContaining({ domain: 'ntsol.example', method: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG' } })]);
  });

  it('"Run all steps" still applies solutions, as the headless runner does', async () => {
    const d = await oneWay();
    const all = await d.call('runAllSteps', {});
    expect(all.results[0]).toMatchObject({ kind: 'checkpoint', status: 'passed', message: 'solution applied' });
    expect(all.results.every((r) => r.status === 'passed')).toBe(true);
    expect(all.done).toBe(true);
  });

  it('validates solve: a boolean, false when left out', () => {
    expect(validateRequest('runNextStep', {})).toEqual({ ok: true, command: 'runNextStep', payload: { solve: false } });
    const bad = validateRequest('runNextStep', { solve: 'yes' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toBe('runNextStep: payload.solve: expected true or false, found the text "yes"');
  });
});
