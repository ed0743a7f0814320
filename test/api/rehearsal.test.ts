// Rehearsal through the contract (issue 17): what an administrator does by hand in the UI — the
// firewall's inspection turned off (`no inspect esmtp`), the clock moved, a queue entry retried —
// goes through the same commands and action schemas as a scenario's steps.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { validateRequest } from '../../app/api/contract.ts';
import { drive, scenarioSessions } from './helpers.ts';

const opened = scenarioSessions(afterEach);

describe('rehearsal controls', () => {
  it('asa-breaks-ntlm: the message waits; "no inspect esmtp" (setFirewall pass), retry now, and it is delivered sealed', async () => {
    const d = await opened('asa-breaks-ntlm');
    await d.call('runNextStep', {});
    await d.call('runNextStep', {});
    let entry = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue[0];
    expect(entry.state).toBe('deferred');

    const set = await d.call('applyAction', { org: 'ntsol', setFirewall: { path: 'intellinet-ntsol', firewall: { profile: 'pass' } } });
    expect(set.what).toBe('firewall on intellinet-ntsol set to pass (no fixup protocol smtp 25 / no inspect esmtp)');
    expect(set.snapshot.paths.find((p) => p.id === 'intellinet-ntsol')!.firewall).toBe('pass');

    await d.call('retryEntry', { org: 'intellinet', id: entry.id });
    await d.session.lab.idle();
    entry = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue[0];
    expect(entry.state).toBe('delivered');
  });

  it('a firewall set by hand survives "keep my changes" but not a fresh start: the scenario as opened is never written to', async () => {
    const d = await opened('asa-breaks-ntlm');
    const firewallOf = (s: { paths: { id: string; firewall?: string }[] }) => s.paths.find((p) => p.id === 'intellinet-ntsol')!.firewall;
    expect(firewallOf(await d.call('getSnapshot', {}))).toBe('asa');
    await d.call('applyAction', { org: 'ntsol', setFirewall: { path: 'intellinet-ntsol', firewall: { profile: 'pass' } } });
    expect(firewallOf(await d.call('startLab', { keepChanges: true }))).toBe('pass');
    expect(firewallOf(await d.call('startLab', {}))).toBe('asa');
  });

  it('setFirewall refuses what is not a firewall path of that organisation, in words', async () => {
    const d = await opened('ntlm-one-way');
    expect((await d.fail('applyAction', { org: 'intellinet', setFirewall: { path: 'intellinet-ntsol', firewall: 'asa' } })).message)
      .toBe('path intellinet-ntsol is direct: only a firewall path\'s profile can change');
    expect((await d.fail('applyAction', { org: 'intellinet', setFirewall: { path: 'nowhere', firewall: 'asa' } })).message)
      .toBe('no path nowhere (paths: intellinet-ntsol)');
    expect((await d.fail('applyAction', { org: 'ntsol', setFirewall: { path: 'intellinet-ntsol', firewall: { profile: 'nope' } } })).message).toMatch(/^setFirewall.firewall: profile: /);
  });

  it('advanceClock moves the lab clock as an advance step does; a bad duration is refused', async () => {
    const d = await opened('ntlm-one-way');
    const before = (await d.call('getSnapshot', {})).clock!.now;
    const moved = await d.call('advanceClock', { by: '2h' });
    expect(moved.now - before).toBe(2 * 3600 * 1000);
    expect(validateRequest('advanceClock', { by: 'soon' })).toMatchObject({ ok: false, error: { message: 'advanceClock: payload.by: expected a duration such as 90s, 15m, 2h or 2d' } });
  });

  it('a TLS checkpoint also checks the partner\'s offer: encrypt to a partner without STARTTLS waits, with a hint', async () => {
    const d = await opened('starttls-partner');
    await d.call('applyAction', { org: 'ntsol', setInbound: { starttls: false } });
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'sasl-ssl', sslEncryption: true } });
    const r = (await d.call('runNextStep', {})).results[0];
    expect(r.status).toBe('pending');
    expect(r.message).toBe('not yet: ntsol.example\'s server does not offer STARTTLS: with the level encrypt every message to it would wait in the queue. Ask the partner\'s administrator to turn STARTTLS on first.');
    await d.call('applyAction', { org: 'ntsol', setInbound: { starttls: true } });
    expect((await d.call('runNextStep', {})).results[0].status).toBe('passed');
  });

  it('lists scenarios as a course: level, then order, each with a one-line summary; resumes the open scenario', async () => {
    const d = drive();
    onTestFinished(() => d.session.close());
    const { scenarios } = await d.call('listScenarios', {});
    const levels = scenarios.map((s) => ['beginner', 'intermediate', 'advanced'].indexOf(s.level));
    expect(levels).toEqual([...levels].sort((a, b) => a - b));
    expect(scenarios[0].id).toBe('postcard');
    for (const s of scenarios) expect(s.summary, s.id).toMatch(/^.{20,200}$/);
    expect(await d.call('currentScenario', {})).toEqual({ status: 'stopped', nextStep: 0, results: [] });
    await d.call('openScenario', { id: 'postcard' });
    await d.call('startLab', {});
    await d.call('runNextStep', {});
    expect(await d.call('currentScenario', {})).toMatchObject({ scenario: { id: 'postcard' }, status: 'running', nextStep: 1, results: [{ index: 0, status: 'passed' }] });
  });
});
