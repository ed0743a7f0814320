import { describe, expect, it } from 'vitest';
import { fromIms, fromSendConnector, toIms, toPostfix, toSendConnector } from '../../app/policy/vocabulary.ts';
import { cli, ROOT } from '../helpers/cli.ts';
import path from 'node:path';
import type { SecurityEntry } from '../../app/config/schema.ts';

const tls = (level: SecurityEntry['level']): SecurityEntry => ({ domain: 'ntsol.example', method: 'tls', level });
const logon = { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' };

describe('one setting in every vocabulary', () => {
  it('maps the IMS dialog onto the lab model: SASL/SSL with SSL encryption is encrypt', () => {
    expect(fromIms('ntsol.example', { option: 'sasl-ssl', sslEncryption: true })).toEqual(tls('encrypt'));
    expect(fromIms('ntsol.example', { option: 'ntlm', logon })).toEqual({ domain: 'ntsol.example', method: 'ntlm', logon });
    expect(fromIms('ntsol.example', { option: 'none' })).toEqual({ domain: 'ntsol.example', method: 'none' });
  });

  it('maps Exchange 2019 send connector settings onto levels (RequireTLS + TlsAuthLevel)', () => {
    expect(fromSendConnector('ntsol.example', { RequireTLS: false })).toEqual(tls('may'));
    expect(fromSendConnector('ntsol.example', { RequireTLS: true, TlsAuthLevel: 'EncryptionOnly' })).toEqual(tls('encrypt'));
    expect(fromSendConnector('ntsol.example', { RequireTLS: true, TlsAuthLevel: 'CertificateValidation' })).toEqual(tls('verify'));
    expect(fromSendConnector('ntsol.example', { RequireTLS: true, TlsAuthLevel: 'DomainValidation', TlsDomain: 'ntsol.example' })).toEqual(tls('secure'));
  });

  it('goes back the same way, and says what a product cannot express', () => {
    for (const level of ['may', 'encrypt', 'verify', 'secure'] as const) {
      const t = toSendConnector(tls(level));
      expect(t.ok && fromSendConnector('ntsol.example', t.value)).toEqual(tls(level));
    }
    expect(toIms(tls('encrypt'))).toEqual({ ok: true, value: { option: 'sasl-ssl', sslEncryption: true } });
    expect(toIms(tls('verify'))).toMatchObject({ ok: false, reason: expect.stringContaining('never verified certificates') });
    expect(toSendConnector({ domain: 'ntsol.example', method: 'ntlm', logon })).toMatchObject({ ok: false, reason: expect.stringContaining('no NTLM') });
    expect(toSendConnector(tls('dane'))).toMatchObject({ ok: false });
    expect(toPostfix(tls('secure'))).toEqual({ ok: true, value: 'ntsol.example\tsecure' });
    expect(toPostfix({ domain: '.partner.example', method: 'tls', level: 'dane-only' })).toEqual({ ok: true, value: '.partner.example\tdane-only' });
  });
});

describe('postcard-lab policy', () => {
  it('prints the IMS security tab and the Exchange 2019 connectors for a scenario\'s organisation', async () => {
    const file = path.join(ROOT, 'scenarios/starttls-partner.yaml');
    const fileWithEntry = path.join(ROOT, 'scenarios/cert-expired.yaml');
    const ims = await cli('policy', path.join(ROOT, 'scenarios/ntlm-both-ways.yaml'), '--org', 'intellinet', '--as', 'exchange-5.5');
    expect(ims.code).toBe(0);
    expect(ims.out).toMatch(/^ {2}ntsol\.example +Windows NT challenge\/response authentication and encryption — logon INTELLINET\\DOUG$/m);
    const exch = await cli('policy', fileWithEntry, '--org', 'intellinet', '--as', 'exchange-2019');
    expect(exch.out).toContain('New-SendConnector -Name "To ntsol.example" -Usage Custom -AddressSpaces "SMTP:ntsol.example;1" -RequireTLS $true -TlsAuthLevel CertificateValidation');
    const pf = await cli('policy', fileWithEntry, '--org', 'intellinet', '--as', 'postfix');
    expect(pf.out).toContain('ntsol.example\tverify');
    expect((await cli('policy', file, '--org', 'nobody', '--as', 'postfix')).code).toBe(2);
    expect((await cli('policy', file, '--org', 'ntsol', '--as', 'sendmail')).err).toMatch(/--as takes one of/);
  });

  it('prints the TLSA records to publish, computed from the lab\'s own keys', async () => {
    const r = await cli('policy', path.join(ROOT, 'scenarios/dane-mismatch.yaml'), '--org', 'ntsol', '--as', 'dane');
    expect(r.out).toMatch(/^_25\._tcp\.mail\.ntsol\.example\. IN TLSA 3 1 1 [0-9a-f]{64}$/m);
  });
});
