// Rehearsal through the contract (issue 17): what an administrator does by hand in the UI — the
// firewall's inspection turned off (`no inspect esmtp`), the clock moved, a queue entry retried —
// goes through the same commands and action schemas as a scenario's steps.
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { validateRequest } from '../../app/api/contract.ts';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { drive, scenarioSessions, SCENARIOS, tempScenarios } from './helpers.ts';
import { rawClient } from '../helpers/net.ts';

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
    // Typed without a unit, 90 is refused rather than taken as 90 ms.
    expect(validateRequest('advanceClock', { by: '90' })).toMatchObject({ ok: false, error: { message: 'advanceClock: payload.by: "90" has no unit: say 90s, 15m, 2h or 2d (a bare number would be milliseconds: 90ms)' } });
  });

  it('advanceClock refuses a move past what a date can name, naming payload.by, and the lab goes on as before', async () => {
    // The postcard lab, set late in the year 9999: a century's jump would pass 9999-12-31.
    const late = fs.readFileSync(path.join(SCENARIOS, 'postcard.yaml'), 'utf8').replace('2026-11-28T09:00:00Z', '9999-06-01T00:00:00Z');
    const d = drive(tempScenarios({ 'late.yaml': late.replace(/^id: .*$/m, 'id: late') }));
    onTestFinished(() => d.session.close());
    await d.call('openScenario', { id: 'late' });
    await d.call('startLab', {});
    const before = (await d.call('getSnapshot', {})).clock!.now;
    expect(await d.fail('advanceClock', { by: '99999999999w' })).toEqual({ code: 'invalid-payload', message: 'advanceClock: payload.by: at most 36500d (100 years), not "99999999999w"' });
    expect(await d.fail('advanceClock', { by: 1e300 })).toEqual({ code: 'invalid-payload', message: 'advanceClock: payload.by: at most 36500d (100 years), not 1e+300' });
    expect(await d.fail('advanceClock', { by: '36500d' })).toEqual({ code: 'invalid-payload', message: 'advanceClock: payload.by: "36500d" would move the lab clock past 9999-12-31T23:59:59.999Z, the latest time it can stand at' });
    // Nothing moved, and nothing was recorded as a change.
    expect((await d.call('getSnapshot', {})).clock!.now).toBe(before);
    expect((await d.call('recordScenario', {})).yaml).not.toContain('advance');

    // Mail still carries real dates, and the clock still moves.
    await d.call('sendMessage', { id: 'c1', from: 'alice@intellinet.example', to: 'sean@ntsol.example' });
    expect((await d.call('advanceClock', { by: '1h' })).now).toBe(before + 3_600_000);
    const box = await d.call('listMailbox', { org: 'ntsol', user: 'sean' });
    const { source } = await d.call('readMessage', { org: 'ntsol', user: 'sean', id: box.items[0].id });
    expect(source).toMatch(/^Date: \w{3}, \d{1,2} Jun 9999 /m);
    expect(source).not.toContain('NaN');
  });

  it('setInbound with TLS settings OpenSSL refuses is invalid-payload naming the field, and changes nothing', async () => {
    const d = await opened('postcard');
    /** What ntsol's mail host offers after EHLO, on a fresh connection. */
    const ehlo = async () => {
      const host = (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'ntsol')!.hosts[0];
      const c = await rawClient(Number(host.smtp!.split(':').at(-1)));
      await c.reply();
      c.send('EHLO probe.example');
      const reply = await c.reply();
      c.socket.destroy();
      return reply;
    };
    const inbound = async () => (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'ntsol')!.inbound;
    expect(await d.fail('applyAction', { org: 'ntsol', setInbound: { starttls: true, tls: { ciphers: 'GARBAGE' } } })).toEqual({
      code: 'invalid-payload',
      message: 'applyAction: payload.setInbound.tls.ciphers: no cipher OpenSSL knows matches "GARBAGE" (OpenSSL\'s names, as `openssl ciphers -v` lists them, e.g. AES128-SHA:AES256-SHA or DEFAULT:@SECLEVEL=0)',
    });
    expect(await d.fail('applyAction', { org: 'ntsol', setInbound: { tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1' } } })).toMatchObject({
      code: 'invalid-payload', message: 'applyAction: payload.setInbound.tls.minVersion: minVersion TLSv1.3 is above maxVersion TLSv1: no TLS version is left to agree on',
    });
    // The engine itself refuses it whole too (a scenario's action step): nothing half-applied.
    expect(() => d.session.lab.applyAction({ org: 'ntsol', setInbound: { starttls: true, tls: { ciphers: 'GARBAGE' } } })).toThrow(/^setInbound\.tls\.ciphers: no cipher OpenSSL knows matches "GARBAGE"/);
    expect(await inbound()).toEqual({ starttls: false, requireTls: false, minVersion: 'TLSv1' });
    expect(await ehlo()).not.toContain('STARTTLS');

    // A setting OpenSSL takes applies, and the server offers STARTTLS.
    await d.call('applyAction', { org: 'ntsol', setInbound: { starttls: true, tls: { ciphers: 'AES128-SHA:AES256-SHA:@SECLEVEL=0' } } });
    expect(await inbound()).toEqual({ starttls: true, requireTls: false, minVersion: 'TLSv1' });
    expect(await ehlo()).toContain('250-STARTTLS');
  });

  it('setInbound\'s tls changes the fields it names: lowering the minimum keeps the cipher list set before', async () => {
    const d = await opened('tls10-meets-tls12');
    const ntsol = async () => (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'ntsol')!;
    /** A STARTTLS handshake with ntsol's mail host, offering one version and one cipher: the version agreed, or the failure. */
    const handshake = async (version: 'TLSv1' | 'TLSv1.2', cipher: string) => {
      const port = Number((await ntsol()).hosts[0].smtp!.split(':').at(-1));
      const socket = net.connect({ host: '127.0.0.1', port });
      let text = '';
      const line = (code: string) => new Promise<void>((resolve) => {
        const take = (b: Buffer) => {
          text += b.toString('latin1');
          if (new RegExp(`^${code} `, 'm').test(text)) {
            socket.off('data', take);
            text = '';
            resolve();
          }
        };
        socket.on('data', take);
      });
      await line('220');
      socket.write('EHLO probe.example\r\n');
      await line('250');
      socket.write('STARTTLS\r\n');
      await line('220');
      return new Promise<string>((resolve) => {
        const t = tls.connect({ socket, minVersion: version, maxVersion: version, ciphers: `${cipher}:@SECLEVEL=0`, rejectUnauthorized: false });
        t.on('secureConnect', () => { resolve(t.getProtocol() ?? '?'); t.destroy(); });
        t.on('error', () => { resolve('failed'); socket.destroy(); });
      });
    };
    expect((await ntsol()).inbound).toEqual({ starttls: true, requireTls: false, minVersion: 'TLSv1.2' });
    await d.call('applyAction', { org: 'ntsol', setInbound: { tls: { ciphers: 'AES128-SHA:@SECLEVEL=0' } } });
    // The minimum the scenario set stays: TLS 1.0 is still refused.
    expect((await ntsol()).inbound.minVersion).toBe('TLSv1.2');
    expect(await handshake('TLSv1', 'AES128-SHA')).toBe('failed');
    await d.call('applyAction', { org: 'ntsol', setInbound: { tls: { minVersion: 'TLSv1' } } });
    expect((await ntsol()).inbound.minVersion).toBe('TLSv1');
    expect(await handshake('TLSv1', 'AES128-SHA')).toBe('TLSv1');
    // …and the cipher list set before stays: a cipher outside it is refused.
    expect(await handshake('TLSv1', 'AES256-SHA')).toBe('failed');
  });

  it('a domain name longer than DNS allows is refused, naming the limit (RFC 1035 §2.3.4)', async () => {
    const d = await opened('postcard');
    const label = 'a'.repeat(64);
    const long = await d.fail('saveSecurity', { org: 'intellinet', domain: `${label}.example`, setting: { vocabulary: 'ims', option: 'none' } });
    expect(long.message).toContain(`the label ${label.slice(0, 12)}… has 64 characters: a label is at most 63 (RFC 1035 §2.3.4)`);
    const many = Array.from({ length: 40 }, () => 'abcdefg').join('.');
    expect((await d.fail('applyAction', { org: 'intellinet', setSecurity: { domain: many, method: 'none' } })).message).toContain('319 characters: a domain name is at most 253');
    // 63 is allowed.
    await d.call('saveSecurity', { org: 'intellinet', domain: `${'b'.repeat(63)}.example`, setting: { vocabulary: 'ims', option: 'none' } });
  });

  it('an edited security row keeps its place in the table', async () => {
    const d = await opened('postcard');
    const domains = async () => (await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.security.map((r) => `${r.domain} ${r.method}`);
    await d.call('applyAction', { org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level: 'may' } });
    await d.call('applyAction', { org: 'intellinet', setSecurity: { domain: 'contoso.example', method: 'tls', level: 'encrypt' } });
    await d.call('applyAction', { org: 'intellinet', setSecurity: { domain: 'NTSOL.example', method: 'none' } });
    expect(await domains()).toEqual(['NTSOL.example none', 'contoso.example tls']);
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
