import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, drive, SCENARIOS, tempScenarios, type Driven } from './helpers.ts';

const open: Driven[] = [];
function session(dir?: string): Driven {
  const d = drive(dir);
  open.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.session.close()));
});

describe('handlers against the postcard scenario', () => {
  it('lists the shipped scenarios with their titles', async () => {
    const d = session();
    const { scenarios } = await d.call('listScenarios', {});
    expect(scenarios).toContainEqual({
      id: 'postcard', title: 'Email between servers travels like a postcard', level: 'beginner', minutes: 5, file: 'postcard.yaml',
      order: 1, summary: 'Send one message with no security and read it on the wire, as anyone on the path could.',
    });
  });

  it('refuses lab commands before a scenario is open, and before its lab runs', async () => {
    const d = session();
    expect(await d.fail('startLab', {})).toEqual({ code: 'no-scenario', message: 'no scenario is open; open one first' });
    expect((await d.fail('listMailbox', { org: 'ntsol', user: 'sean' })).code).toBe('no-lab');
    expect(await d.fail('openScenario', { id: 'no-such' })).toMatchObject({ code: 'not-found', message: expect.stringContaining('no loadable scenario "no-such"') });
    await d.call('openScenario', { id: 'postcard' });
    expect(await d.fail('runNextStep', {})).toEqual({ code: 'no-lab', message: 'the lab is not running; start it first' });
    const stopped = await d.call('getSnapshot', {});
    expect(stopped.status).toBe('stopped');
    expect(stopped.orgs.map((o) => o.domain)).toEqual(['intellinet.example', 'ntsol.example']);
  });

  it('opens the scenario with its story and steps, and starts a lab whose snapshot shows the topology', async () => {
    const d = session();
    const view = await d.call('openScenario', { id: 'postcard' });
    expect(view.story).toMatch(/^Alice at Intellinet writes to Sean at NT Solutions\./);
    expect(view.steps.map((s) => [s.kind, s.name])).toEqual([['send', 'm1'], ['expect', 'm1 delivered cleartext'], ['expect', 'm1']]);
    expect(view.steps[0].summary).toBe('alice@intellinet.example sends "A test" to sean@ntsol.example');

    const snap = await d.call('startLab', {});
    expect(snap.status).toBe('running');
    expect(new Date(snap.clock!.now).toISOString()).toBe('2026-11-28T09:00:00.000Z');
    const ntsol = snap.orgs.find((o) => o.id === 'ntsol')!;
    expect(ntsol.hosts[0]).toMatchObject({ name: 'mail.ntsol.example', address: '198.51.100.25', smtp: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(ntsol.nt).toEqual({ domain: 'NTSOL', crypto: 'export-40', lmCompatibility: 2 });
    expect(ntsol.security).toEqual([]);
    expect(ntsol.mailboxes).toEqual([{ user: 'sean', messages: 0, bounces: 0 }]);
    expect(snap.paths).toHaveLength(1);
    expect(snap.paths[0]).toMatchObject({ between: ['intellinet', 'ntsol'], via: 'direct' });
    expect(snap.paths[0].entries.map((e) => e.host).sort()).toEqual(['mail.intellinet.example', 'mail.ntsol.example']);
  });

  it('runs the next step, then all the rest, pushing each result and the lab events', async () => {
    const d = session();
    await d.call('openScenario', { id: 'postcard' });
    await d.call('startLab', {});
    const first = await d.call('runNextStep', {});
    expect(first.results).toEqual([{ index: 0, kind: 'send', status: 'passed', name: 'm1', message: expect.stringMatching(/^queued INT\w+ at intellinet$/) }]);
    expect(first).toMatchObject({ next: 1, done: false });
    const rest = await d.call('runAllSteps', {});
    expect(rest.results.map((r) => [r.index, r.status])).toEqual([[1, 'passed'], [2, 'passed']]);
    expect(rest).toMatchObject({ next: 3, done: true });
    expect(await d.call('runAllSteps', {})).toEqual({ results: [], next: 3, done: true });

    const pushed = d.events.filter((e) => e.event === 'step.result').map((e) => e.event === 'step.result' && e.payload.result.index);
    expect(pushed).toEqual([0, 1, 2]);
    const labTypes = d.events.flatMap((e) => (e.event === 'lab.event' ? [e.payload.type] : []));
    expect(labTypes).toEqual(expect.arrayContaining(['mail.queued', 'mail.received', 'mail.delivered']));
    const snap = await d.call('getSnapshot', {});
    expect(snap.results).toHaveLength(3);
    expect(snap.orgs.find((o) => o.id === 'intellinet')!.queue).toEqual([expect.objectContaining({ state: 'delivered', ref: 'm1', attempts: 1, to: ['sean@ntsol.example'] })]);
  });

  it("shows the message in sean's mailbox, its source, and both sides of its transcript", async () => {
    const d = session();
    await d.call('openScenario', { id: 'postcard' });
    await d.call('startLab', {});
    await d.call('runAllSteps', {});

    const box = await d.call('listMailbox', { org: 'ntsol', user: 'SEAN' });
    expect(box.user).toBe('sean');
    expect(box.items).toHaveLength(1);
    expect(box.items[0]).toMatchObject({ kind: 'mail', from: 'alice@intellinet.example', subject: expect.stringMatching(/^A test/), ref: 'm1' });
    const msg = await d.call('readMessage', { org: 'ntsol', user: 'sean', id: box.items[0].id });
    expect(msg.source).toMatch(/^Return-Path: <alice@intellinet\.example>\r\nReceived: from mail\.intellinet\.example /);
    expect(msg.source).toContain('Hi Sean, this is a test, unencrypted message');
    expect(msg.dsn).toBeUndefined();

    const entry = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue[0];
    const t = await d.call('getTranscripts', { org: 'intellinet', id: entry.id });
    expect(t.attempts).toHaveLength(1);
    expect(t.attempts[0].result).toBe('delivered');
    expect(t.attempts[0].sender).toContain('<- 220 mail.ntsol.example ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.2653.13) ready');
    expect(t.attempts[0].sender).toContain('-> MAIL FROM:<alice@intellinet.example>');
    // The receiver's log of the same connection: what it read arrives with `<-`.
    expect(t.attempts[0].receiver).toContain('<- MAIL FROM:<alice@intellinet.example>');
    expect(t.attempts[0].receiver).toContain('-> 220 mail.ntsol.example ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.2653.13) ready');

    expect(await d.fail('readMessage', { org: 'ntsol', user: 'sean', id: 'NOPE' })).toMatchObject({ code: 'not-found' });
    expect(await d.fail('listMailbox', { org: 'ntsol', user: 'alice' })).toEqual({ code: 'not-found', message: 'ntsol has no mailbox "alice" (users: sean)' });
    expect(await d.fail('getTranscripts', { org: 'mars', id: entry.id })).toEqual({ code: 'not-found', message: 'no organisation "mars" in this lab (known: intellinet, ntsol)' });
  });

  // The receiver's view marks each line with the layer it crossed, as the sender's does
  // (docs/ui.md, "Mailboxes and transcripts"): a trainer shows where cleartext ends on either side.
  it.each([
    // RFC 3207 §4: the 220 to STARTTLS goes in clear, the EHLO after the handshake inside TLS.
    ['starttls-partner', ['<- STARTTLS', '-> 220 2.0.0 Ready to start TLS', '<~ EHLO mail.intellinet.example', '~> 250 2.1.0 Ok', '<~ QUIT']],
    // docs/ntlm.md: the 235 goes in clear, everything after it inside the NTLM seal.
    ['ntlm-one-way', ['-> 235 ntlm authentication successful', '<= MAIL FROM:<alice@intellinet.example>', '=> 250 OK', '<= QUIT']],
  ] as const)('%s: the receiver\'s view says which lines arrived inside TLS or the NTLM seal, as the sender\'s view does', async (id, want) => {
    const d = session();
    await d.call('openScenario', { id });
    await d.call('startLab', {});
    await d.call('runAllSteps', {});
    const entry = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.queue.at(-1)!;
    const [attempt] = (await d.call('getTranscripts', { org: 'intellinet', id: entry.id })).attempts.filter((a) => a.result === 'delivered');
    const receiver = attempt.receiver.split('\n');
    for (const line of want) expect(receiver.some((l) => l.startsWith(line)), `${line} in\n${attempt.receiver}`).toBe(true);
    // Every command the sender wrote reached the receiver in the same layer: `-> X` is read as `<- X`,
    // `~> X` as `<~ X`, `=> X` as `<= X` (AUTH's blobs the receiver logs redacted, the message as its content).
    const mirror = { '->': '<-', '~>': '<~', '=>': '<=' } as const;
    const sent = attempt.sender.split('\n').filter((l) => /^(->|~>|=>) (EHLO|STARTTLS|MAIL|RCPT|DATA|QUIT)\b/.test(l));
    expect(sent.length).toBeGreaterThan(3);
    for (const l of sent) expect(receiver).toContain(`${mirror[l.slice(0, 2) as keyof typeof mirror]}${l.slice(2)}`);
  });

  it('applies a lab action and shows it in the security table, never with the password', async () => {
    const d = session();
    await d.call('openScenario', { id: 'postcard' });
    await d.call('startLab', {});
    const r = await d.call('applyAction', { org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } } });
    expect(r.what).toBe('security for ntsol.example set to ntlm');
    expect(r.snapshot.orgs[0].security).toEqual([{
      domain: 'ntsol.example', method: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG' },
      // The same row as the exchange-5.5 profile's IMS dialog shows it.
      setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG' }, exact: true },
      description: 'Windows NT challenge/response authentication and encryption as INTELLINET\\DOUG',
    }]);
    expect(JSON.stringify(r.snapshot)).not.toContain('Sunrise-42');
    expect(await d.fail('applyAction', { org: 'ntsol', deleteAccount: { domain: 'INTELLINET', user: 'DOUG' } })).toEqual({ code: 'failed', message: 'ntsol has no account INTELLINET\\DOUG' });
  });

  it('sends an extra message, and refuses a message id used twice', async () => {
    const d = session();
    await d.call('openScenario', { id: 'postcard' });
    await d.call('startLab', {});
    await d.call('runAllSteps', {});
    const delivered = d.next((e) => e.event === 'lab.event' && e.payload.type === 'mail.delivered');
    const sent = await d.call('sendMessage', { id: 'extra', from: 'alice@intellinet.example', to: ['sean@ntsol.example'], subject: 'Second' });
    expect(sent).toMatchObject({ ref: 'extra', org: 'intellinet', entryIds: [expect.any(String)] });
    await delivered;
    expect((await d.call('listMailbox', { org: 'ntsol', user: 'sean' })).items.map((m) => m.ref)).toEqual(['m1', 'extra']);
    expect(await d.fail('sendMessage', { id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example' })).toEqual({ code: 'failed', message: 'message id m1 is used twice' });
  });

  it('answers busy to a second step run while the first is still running', async () => {
    const d = session();
    await d.call('openScenario', { id: 'postcard' });
    await d.call('startLab', {});
    const [a, b] = await Promise.all([d.dispatch('runAllSteps', {}), d.dispatch('runAllSteps', {})]);
    expect(a.ok).toBe(true);
    expect(b).toEqual({ ok: false, error: { code: 'busy', message: expect.stringContaining('busy') } });
  });

  it('stops the lab: its snapshot says so and lab commands are refused', async () => {
    const d = session();
    await d.call('openScenario', { id: 'postcard' });
    await d.call('startLab', {});
    expect((await d.call('stopLab', {})).status).toBe('stopped');
    expect((await d.fail('sendMessage', { id: 'x', from: 'alice@intellinet.example', to: 'sean@ntsol.example' })).code).toBe('no-lab');
    expect(d.events.filter((e) => e.event === 'session.changed').map((e) => e.event === 'session.changed' && e.payload.status)).toEqual(['stopped', 'running', 'stopped']);
  });
});

describe('handlers with other scenarios', () => {
  it('lists a broken scenario file with its errors instead of hiding it, and will not open it', async () => {
    const dir = tempScenarios({ 'broken.yaml': 'title: Broken\nlab:\n  orgs: []\n', 'postcard.yaml': fs.readFileSync(path.join(SCENARIOS, 'postcard.yaml'), 'utf8') });
    const d = session(dir);
    const { scenarios } = await d.call('listScenarios', {});
    // A course: loadable scenarios first (level, order, title), broken files after them.
    expect(scenarios.map((s) => s.id)).toEqual(['postcard', 'broken']);
    expect(scenarios[1].errors).toEqual([expect.stringMatching(/^broken\.yaml:3:\d+: lab\.orgs: /)]);
    expect((await d.fail('openScenario', { id: 'broken' })).code).toBe('not-found');
  });

  it('shows a deferred entry with its last error, and retries it on request', async () => {
    const port = await closedPort();
    const dir = tempScenarios({
      'down.yaml': `title: The partner is down
lab:
  clock: { start: "2026-11-28T09:00:00Z" }
  orgs:
    - { id: a, domain: a.example, users: [alice], hosts: [{ name: mail.a.example, address: 192.0.2.10 }] }
    - { id: b, domain: b.example, users: [bob], hosts: [{ name: mail.b.example, address: 198.51.100.25 }], external: { smtp: "127.0.0.1:${port}" } }
steps:
  - send: { id: m1, from: alice@a.example, to: bob@b.example, subject: Hello }
  - expect: { message: m1, outcome: deferred }
`,
    });
    const d = session(dir);
    await d.call('openScenario', { id: 'down' });
    await d.call('startLab', {});
    expect((await d.call('runAllSteps', {})).results.map((r) => r.status)).toEqual(['passed', 'passed']);
    const entry = (await d.call('getSnapshot', {})).orgs[0].queue[0];
    expect(entry).toMatchObject({ state: 'deferred', attempts: 1, lastError: expect.stringContaining('mail.b.example[198.51.100.25]') });
    expect(entry.nextAttemptAt).toBeGreaterThan(entry.arrivedAt);

    const deferredAgain = d.next((e) => e.event === 'lab.event' && e.payload.type === 'mail.deferred');
    expect(await d.call('retryEntry', { org: 'a', id: entry.id })).toMatchObject({ retried: true });
    await deferredAgain;
    expect((await d.call('getTranscripts', { org: 'a', id: entry.id })).attempts).toHaveLength(2);
    expect(await d.fail('retryEntry', { org: 'a', id: 'NOPE' })).toEqual({ code: 'not-found', message: 'a has no queue entry NOPE' });
  });
});
