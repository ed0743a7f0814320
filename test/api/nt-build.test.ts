// The NT build dialog's path (renderer/views/NtSettingsDialog.svelte): `applyAction setNt` through
// the contract, validated as every payload is, changes the next NTLM session as a trainer would see
// it — the key's strength on the link, a logon refused with the product's 535 — and the snapshot
// carries the dialog's words (app/products/windows-nt.ts) for organisations with an NT domain only.
import { afterEach, describe, expect, it } from 'vitest';
import { scenarioSessions, type Driven } from './helpers.ts';

const opened = scenarioSessions(afterEach);

/** ntlm-one-way with the learner's entry in place ("Show me") and m1 sent and checked: 40-bit, as the story says. */
async function sealedOneWay(): Promise<Driven> {
  const d = await opened('ntlm-one-way');
  for (let i = 0; i < 3; i++) expect((await d.call('runNextStep', { solve: true })).results[0].status).toBe('passed');
  return d;
}

/** Alice writes to Sean from the window (the Rehearse tab's send); the entry once the lab has settled. */
async function handSend(d: Driven, id: string) {
  await d.call('sendMessage', { id, from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: id, body: 'Sean, the figures. Alice' });
  await d.session.lab.idle();
  return (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue.find((e) => e.ref === id)!;
}

/** The topology's badge for the direct link: the last session's key bits and the message it carried. */
async function lastLink(d: Driven) {
  return (await d.call('getLinks', {})).links.find((l) => l.point === 'intellinet-ntsol')!.last!;
}

describe('the NT build, changed from the window', () => {
  it('installing the 128-bit build after the export one: the next session is 128-bit; an export build at either end makes it 40', async () => {
    const d = await sealedOneWay();
    expect(await lastLink(d)).toMatchObject({ protection: 'sealed', ntlm: { keyBits: 40 }, message: 'm1' });

    const set = await d.call('applyAction', { org: 'ntsol', setNt: { crypto: 'us-128' } });
    expect(set.what).toBe('NT settings changed: us-128, LM compatibility 2');
    expect(set.snapshot.orgs.find((o) => o.id === 'ntsol')!.nt).toEqual({ domain: 'NTSOL', crypto: 'us-128', lmCompatibility: 2 });
    expect((await handSend(d, 'hand-1')).state).toBe('delivered');
    expect(await lastLink(d)).toMatchObject({ protection: 'sealed', ntlm: { keyBits: 128 }, message: 'hand-1' });

    // The sender's own build counts too: Intellinet on the export build asks for neither 128 nor 56.
    await d.call('applyAction', { org: 'intellinet', setNt: { crypto: 'export-40' } });
    expect((await handSend(d, 'hand-2')).state).toBe('delivered');
    expect(await lastLink(d)).toMatchObject({ ntlm: { keyBits: 40 }, message: 'hand-2' });
    await d.call('applyAction', { org: 'intellinet', setNt: { crypto: 'us-128' } });
    expect((await handSend(d, 'hand-3')).state).toBe('delivered');
    expect(await lastLink(d)).toMatchObject({ ntlm: { keyBits: 128 }, message: 'hand-3' });
  });

  it('LMCompatibilityLevel 5 on the partner refuses the IMS\'s NTLMv1 with the IMS\'s 535 and the message bounces; 4 still takes it', async () => {
    const d = await sealedOneWay();
    await d.call('applyAction', { org: 'ntsol', setNt: { lmCompatibility: 5 } });
    const refused = await handSend(d, 'hand-1');
    expect(refused.state).toBe('bounced');
    expect(refused.lastError).toContain('535 ntlm authentication failed');
    const alice = await d.call('listMailbox', { org: 'intellinet', user: 'alice' });
    expect(alice.items.filter((m) => m.kind === 'bounce')).toHaveLength(1);
    const transcript = await d.call('getTranscripts', { org: 'intellinet', id: refused.id });
    expect(transcript.attempts[0].sender).toContain('<- 535 ntlm authentication failed');

    // Level 4 refuses LM-only responses; the IMS sends an NTLM response, which it accepts.
    await d.call('applyAction', { org: 'ntsol', setNt: { lmCompatibility: 4 } });
    expect((await handSend(d, 'hand-2')).state).toBe('delivered');
    expect(await lastLink(d)).toMatchObject({ protection: 'sealed', message: 'hand-2' });

    // At level 5 again, the sender's own NT raised to level 3 sends NTLMv2 only, which level 5 takes.
    await d.call('applyAction', { org: 'ntsol', setNt: { lmCompatibility: 5 } });
    expect((await handSend(d, 'hand-3')).state).toBe('bounced');
    await d.call('applyAction', { org: 'intellinet', setNt: { lmCompatibility: 3 } });
    expect((await handSend(d, 'hand-4')).state).toBe('delivered');
    expect(await lastLink(d)).toMatchObject({ protection: 'sealed', message: 'hand-4' });
  });

  it('a checkpoint whose logon the partner\'s level refuses says so; lowering the level the same way passes it', async () => {
    const d = await opened('ntlm-one-way');
    await d.call('applyAction', { org: 'ntsol', setNt: { lmCompatibility: 5 } });
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } } });
    const waiting = (await d.call('runNextStep', {})).results[0];
    expect(waiting.status).toBe('pending');
    expect(waiting.message).toContain('ntsol.example\'s server refuses the logon as INTELLINET\\DOUG: NTLM (v1) response from INTELLINET\\DOUG refused: LM compatibility level 5 accepts NTLMv2 only');
    await d.call('applyAction', { org: 'ntsol', setNt: { lmCompatibility: 2 } });
    expect((await d.call('runNextStep', {})).results[0].status).toBe('passed');
  });

  it('the snapshot carries the dialog for an organisation with an NT domain, in NT\'s and its product\'s words', async () => {
    const d = await opened('ntlm-one-way');
    const ntsol = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'ntsol')!;
    const form = ntsol.ntSettings!;
    expect(form.build.options.map((o) => [o.value, o.label])).toEqual([['us-128', '128-bit (North America)'], ['export-40', '40-bit (export)']]);
    expect(form.level.name).toBe('HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LMCompatibilityLevel');
    expect(form.level.options.map((o) => o.value)).toEqual([0, 1, 2, 3, 4, 5]);
    // What each level accepts is what the lab's server enforces (app/ntlm/server.ts).
    expect(form.level.options.map((o) => o.accepts)).toEqual([
      ...Array(4).fill('accepts LM, NTLM and NTLMv2'), 'refuses LM; accepts NTLM and NTLMv2', 'refuses LM and NTLM; accepts NTLMv2 only',
    ]);
    expect(form.notes.join('\n')).toContain('"535 ntlm authentication failed"');
    expect(form.notes.join('\n')).toContain('(exchange-5.5) sends what NT\'s clients do: NTLMv1 (NTLM) responses at levels 0 to 2, NTLMv2 from level 3');
  });

  it('an organisation without an NT domain has no dialog and no setNt; a level outside 0–5 is refused as the API refuses any payload', async () => {
    const d = await opened('asa-strips-starttls');
    const snap = await d.call('getSnapshot', {});
    for (const org of snap.orgs) expect(org.ntSettings, org.id).toBeUndefined();
    expect(await d.fail('applyAction', { org: 'ntsol', setNt: { crypto: 'us-128' } })).toEqual({ code: 'failed', message: 'ntsol has no NT domain to change' });

    const nt = await opened('ntlm-one-way');
    expect(await nt.fail('applyAction', { org: 'ntsol', setNt: { lmCompatibility: 6 } })).toMatchObject({ code: 'invalid-payload', message: expect.stringMatching(/^applyAction: payload\.setNt\.lmCompatibility: /) });
    expect(await nt.fail('applyAction', { org: 'ntsol', setNt: { crypto: 'us-56' } })).toMatchObject({ code: 'invalid-payload', message: expect.stringMatching(/^applyAction: payload\.setNt\.crypto: /) });
    expect((await nt.call('getSnapshot', {})).orgs.find((o) => o.id === 'ntsol')!.nt).toEqual({ domain: 'NTSOL', crypto: 'export-40', lmCompatibility: 2 });
  });
});
