// The security table in each profile's words (docs/lab.md, "Outbound security"): the IMS "E-Mail Domain security
// information" dialog, Exchange 2019 send-connector TLS settings, Postfix levels — read from the
// snapshot without a password, saved through `saveSecurity` as a `setSecurity` lab action.
import { afterEach, describe, expect, it } from 'vitest';
import { entryFromSetting, settingView } from '../../app/api/security.ts';
import type { SecurityEntry } from '../../app/config/schema.ts';
import { scenarioSessions } from './helpers.ts';

const scenario = scenarioSessions(afterEach);

const DOUG = { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' };

describe('a dialog saved → the entry the lab stores', () => {
  // docs/lab.md, "Outbound security": the IMS's SSL encryption is level encrypt; Exchange 2019 send connectors map
  // RequireTLS/TlsAuthLevel onto may/encrypt/verify/secure (Set-SendConnector); Postfix levels are the model.
  it.each<[string, Parameters<typeof entryFromSetting>[0]['setting'], Partial<SecurityEntry>]>([
    ['IMS: no authentication or encryption', { vocabulary: 'ims', option: 'none' }, { method: 'none' }],
    ['IMS: NT challenge/response', { vocabulary: 'ims', option: 'ntlm', logon: DOUG }, { method: 'ntlm', logon: DOUG }],
    ['IMS: SASL/SSL with SSL encryption', { vocabulary: 'ims', option: 'sasl-ssl', sslEncryption: true }, { method: 'tls', level: 'encrypt' }],
    ['IMS: SASL/SSL without SSL encryption', { vocabulary: 'ims', option: 'sasl-ssl', sslEncryption: false }, { method: 'none' }],
    ['2019: RequireTLS $false', { vocabulary: 'send-connector', RequireTLS: false }, { method: 'tls', level: 'may' }],
    ['2019: RequireTLS $true', { vocabulary: 'send-connector', RequireTLS: true }, { method: 'tls', level: 'encrypt' }],
    ['2019: CertificateValidation', { vocabulary: 'send-connector', RequireTLS: true, TlsAuthLevel: 'CertificateValidation' }, { method: 'tls', level: 'verify' }],
    ['2019: DomainValidation', { vocabulary: 'send-connector', RequireTLS: true, TlsAuthLevel: 'DomainValidation' }, { method: 'tls', level: 'secure' }],
    ['Postfix: none', { vocabulary: 'level', level: 'none' }, { method: 'none' }],
    ['Postfix: dane-only', { vocabulary: 'level', level: 'dane-only' }, { method: 'tls', level: 'dane-only' }],
  ])('%s', (_name, setting, want) => {
    const built = entryFromSetting({ domain: 'ntsol.example', setting }, undefined);
    expect(built).toMatchObject({ ok: true, entry: { domain: 'ntsol.example', ...want } });
  });

  it('keeps the saved password when the box is left blank for the same account, and the alternate path', () => {
    const existing: SecurityEntry = { domain: 'ntsol.example', method: 'ntlm', logon: DOUG, via: 'secure.ntsol.example' };
    const built = entryFromSetting({ domain: 'ntsol.example', minKeyBits: 128, setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'intellinet', user: 'doug', password: '' } } }, existing);
    expect(built).toEqual({ ok: true, entry: { domain: 'ntsol.example', method: 'ntlm', logon: { domain: 'intellinet', user: 'doug', password: 'Sunrise-42' }, minKeyBits: 128, via: 'secure.ntsol.example' } });
  });

  it('asks for a password for a new account, and for an account at all', () => {
    const existing: SecurityEntry = { domain: 'ntsol.example', method: 'ntlm', logon: DOUG };
    expect(entryFromSetting({ domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'IMS', password: '' } } }, existing))
      .toEqual({ ok: false, error: 'enter the password of INTELLINET\\IMS' });
    expect(entryFromSetting({ domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: ' ', password: 'x' } } }, undefined))
      .toMatchObject({ ok: false, error: expect.stringMatching(/^Windows NT challenge\/response needs the NT account/) });
  });

  it('drops a key-strength minimum on an entry that is not NTLM (it would mean nothing)', () => {
    expect(entryFromSetting({ domain: 'ntsol.example', minKeyBits: 128, setting: { vocabulary: 'level', level: 'verify' } }, undefined))
      .toEqual({ ok: true, entry: { domain: 'ntsol.example', method: 'tls', level: 'verify' } });
  });
});

describe('an entry → the dialog that opens for it', () => {
  it('shows NT challenge/response with the account and never the password', () => {
    const view = settingView('exchange-5.5', { domain: 'ntsol.example', method: 'ntlm', logon: DOUG });
    expect(view).toEqual({ vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG' }, exact: true });
  });

  it('a minimum key strength the dialog shows in its lab-addition field is not a "cannot say"', () => {
    expect(settingView('exchange-5.5', { domain: 'ntsol.example', method: 'ntlm', logon: DOUG, minKeyBits: 128 }))
      .toEqual({ vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG' }, exact: true });
  });

  it('says when a vocabulary cannot express the entry, and shows the nearest setting', () => {
    // The IMS never verified certificates; Exchange 2019 cannot turn STARTTLS off; Postfix has no NTLM.
    expect(settingView('exchange-5.5', { domain: 'ntsol.example', method: 'tls', level: 'verify' }))
      .toMatchObject({ vocabulary: 'ims', option: 'sasl-ssl', sslEncryption: true, exact: false, note: expect.stringContaining('never verified certificates') });
    expect(settingView('exchange-2019', { domain: 'ntsol.example', method: 'none' }))
      .toMatchObject({ vocabulary: 'send-connector', RequireTLS: false, exact: false });
    expect(settingView('postfix', { domain: 'ntsol.example', method: 'ntlm', logon: DOUG }))
      .toMatchObject({ vocabulary: 'level', level: 'encrypt', exact: false, note: expect.stringContaining('no NTLM') });
    expect(settingView('generic', { domain: 'ntsol.example', method: 'tls', level: 'mta-sts' })).toEqual({ vocabulary: 'level', level: 'mta-sts', exact: true });
  });
});

describe('saveSecurity against a running lab', () => {
  it('tells each organisation which words its table is edited in', async () => {
    const d = await scenario('starttls-partner');
    const snap = await d.call('getSnapshot', {});
    expect(snap.orgs.map((o) => [o.id, o.vocabulary])).toEqual([['intellinet', 'ims'], ['ntsol', 'level']]);
  });

  it('raises an existing NTLM entry to 128 bits without retyping the password: the later message still logs on', async () => {
    // export-strength: the checkpoint asks for minKeyBits 128; a 40-bit partner defers, a 128-bit one delivers.
    const d = await scenario('export-strength');
    const first = await d.call('runNextStep', {});
    await d.call('runNextStep', {});
    expect(first.results[0].status).toBe('passed');
    expect((await d.call('runNextStep', {})).results[0].status).toBe('pending');

    const saved = await d.call('saveSecurity', {
      org: 'intellinet', domain: 'ntsol.example', minKeyBits: 128,
      setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: '' } },
    });
    expect(saved.snapshot.orgs[0].security).toEqual([expect.objectContaining({ domain: 'ntsol.example', method: 'ntlm', minKeyBits: 128, logon: { domain: 'INTELLINET', user: 'DOUG' } })]);
    expect(JSON.stringify(saved.snapshot)).not.toContain('Sunrise-42');
    expect((await d.call('runNextStep', {})).results[0]).toMatchObject({ status: 'passed', name: 'require-128' });
    const rest = await d.call('runAllSteps', {});
    expect(rest.results.map((r) => r.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
  });

  it('sends through the partner\'s alternate interface when the dialog says so, refuses a host no path leads to, and goes back to the MX with an empty choice', async () => {
    const d = await scenario('mailguard-blind-auth');
    // What the dialog offers comes with the snapshot, from the same place the refusal below reads.
    expect((await d.call('getSnapshot', {})).orgs.find((o) => o.id === 'intellinet')!.alternates).toEqual({ 'ntsol.example': ['secure.ntsol.example'] });
    const ims = (password: string) => ({ vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password } }) as const;
    expect(await d.fail('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', via: 'mx.mallory.example', setting: ims('Sunrise-42') }))
      .toEqual({ code: 'invalid-payload', message: 'ntsol.example has no alternate host mx.mallory.example reachable from intellinet (alternates: secure.ntsol.example)' });
    const routed = await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', via: 'secure.ntsol.example', setting: ims('Sunrise-42') });
    expect(routed.snapshot.orgs[0].security).toEqual([expect.objectContaining({ domain: 'ntsol.example', method: 'ntlm', via: 'secure.ntsol.example' })]);
    // Saved again without a word about it: kept; with '': the MX again.
    const kept = await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: ims('') });
    expect(kept.snapshot.orgs[0].security[0].via).toBe('secure.ntsol.example');
    const back = await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', via: '', setting: ims('') });
    expect(back.snapshot.orgs[0].security[0].via).toBeUndefined();
  });

  it('answers a dialog that cannot be saved with a sentence the form can show, and changes nothing', async () => {
    const d = await scenario('ntlm-one-way');
    expect(await d.fail('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: '' } } }))
      .toEqual({ code: 'invalid-payload', message: 'enter the password of INTELLINET\\DOUG' });
    expect((await d.fail('saveSecurity', { org: 'intellinet', domain: 'not a domain', setting: { vocabulary: 'level', level: 'may' } })).message)
      .toBe('saveSecurity: payload.domain: expected a domain name such as ntsol.example');
    expect(await d.fail('saveSecurity', { org: 'mars', domain: 'ntsol.example', setting: { vocabulary: 'level', level: 'may' } }))
      .toMatchObject({ code: 'not-found' });
    // The API's own errors keep the key (a form names it by its label, renderer/lib/format.ts) and say what is accepted.
    expect((await d.fail('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'D'.repeat(201), password: 'x' } } })).message)
      .toBe('saveSecurity: payload.setting.logon.user: is too long (at most 200 characters)');
    expect((await d.fail('applyAction', { org: 'ntsol', createAccount: { domain: '', user: '', password: 'x' } })).message)
      .toBe('applyAction: payload.createAccount.domain: must not be empty (e.g. INTELLINET); payload.createAccount.user: must not be empty (e.g. DOUG)');
    expect((await d.call('getSnapshot', {})).orgs[0].security).toEqual([]);
  });

  it('removes an entry and manages the partner accounts through applyAction', async () => {
    const d = await scenario('ntlm-one-way');
    await d.call('saveSecurity', { org: 'intellinet', domain: 'ntsol.example', setting: { vocabulary: 'ims', option: 'sasl-ssl', sslEncryption: true } });
    expect((await d.call('applyAction', { org: 'intellinet', removeSecurity: { domain: 'ntsol.example' } })).snapshot.orgs[0].security).toEqual([]);
    await d.call('applyAction', { org: 'ntsol', createAccount: { domain: 'INTELLINET', user: 'IMS', password: 'Harbour-7', disabled: false } });
    await d.call('applyAction', { org: 'ntsol', disableAccount: { domain: 'INTELLINET', user: 'DOUG' } });
    const r = await d.call('applyAction', { org: 'ntsol', setPassword: { domain: 'INTELLINET', user: 'IMS', password: 'Tide-9' } });
    expect(r.what).toBe('account INTELLINET\\IMS password changed');
    expect(r.snapshot.orgs[1].accounts).toEqual([{ domain: 'INTELLINET', user: 'DOUG', disabled: true }, { domain: 'INTELLINET', user: 'IMS', disabled: false }]);
    expect(JSON.stringify(r.snapshot)).not.toMatch(/Harbour-7|Tide-9|Sunrise-42/);
  });
});
