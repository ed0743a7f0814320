import { describe, expect, it } from 'vitest';
import { byteBreaks, friendly, halfRows, identBreaks, nameBreaks, ntState } from '../../renderer/lib/format.ts';
import { ntSettingsForm } from '../../app/products/windows-nt.ts';
import { product } from '../../app/products/index.ts';
import { hexRows } from '../../app/capture/hex.ts';

describe('nameBreaks', () => {
  it('cuts after the dots and the @ inside names only, and loses nothing', () => {
    const text = '1 of 6: bob@intellinet.example sends "Lunch" to sean@ntsol.example.';
    const parts = nameBreaks(text);
    expect(parts).toEqual(['1 of 6: bob@', 'intellinet.', 'example sends "Lunch" to sean@', 'ntsol.', 'example.']);
    expect(parts.join('')).toBe(text);
  });

  it('leaves text without names whole', () => {
    expect(nameBreaks('all steps done')).toEqual(['all steps done']);
    expect(nameBreaks('')).toEqual(['']);
  });
});

describe('byteBreaks and identBreaks', () => {
  it('cut a fingerprint after each colon and a parameter name after each underscore, losing nothing', () => {
    expect(byteBreaks('B0:5D:62')).toEqual(['B0:', '5D:', '62']);
    expect(identBreaks('smtp_tls_policy_maps: encrypt')).toEqual(['smtp_', 'tls_', 'policy_', 'maps: encrypt']);
    expect(identBreaks('Windows NT challenge/response')).toEqual(['Windows NT challenge/response']);
  });
});

describe('halfRows', () => {
  it('lays the engine\'s rows of 16 out 8 to a row, with their offsets, losing and reordering nothing', () => {
    const bytes = Buffer.from('MAIL FROM:<alice@intellinet.example>\r\n', 'latin1');
    const rows = halfRows(hexRows(bytes));
    expect(rows.map((r) => r.offset)).toEqual([0, 8, 16, 24, 32]);
    expect(rows[0]).toEqual({ offset: 0, hex: '4d 41 49 4c 20 46 52 4f', ascii: 'MAIL FRO' });
    expect(rows.at(-1)).toEqual({ offset: 32, hex: '70 6c 65 3e 0d 0a', ascii: 'ple>..' });
    expect(rows.map((r) => r.ascii).join('')).toBe('MAIL FROM:<alice@intellinet.example>..');
    expect(Buffer.from(rows.map((r) => r.hex.replaceAll(' ', '')).join(''), 'hex').equals(bytes)).toBe(true);
  });

  it('keeps a last row of 8 or fewer bytes as one row', () => {
    expect(halfRows(hexRows(Buffer.from('HELO')))).toEqual([{ offset: 0, hex: '48 45 4c 4f', ascii: 'HELO' }]);
    expect(halfRows([])).toEqual([]);
  });
});

describe('friendly: an engine refusal in a form\'s words', () => {
  // The engine's messages as the API gives them (app/api/contract.ts, describeIssues; app/api/handlers.ts).
  const IMS = { domain: 'E-Mail domain', 'setting.logon.user': 'Account', 'setting.option': 'Security', minKeyBits: 'Minimum session key (lab addition)' };

  it('names a refused field by the label its form shows, keeping what was wrong and what is accepted', () => {
    expect(friendly('saveSecurity: payload.domain: expected a domain name such as ntsol.example', IMS)).toBe('E-Mail domain: expected a domain name such as ntsol.example');
    expect(friendly('saveSecurity: payload.setting.logon.user: is too long (at most 200 characters)', IMS)).toBe('Account: is too long (at most 200 characters)');
    expect(friendly('saveSecurity: payload.minKeyBits: expected one of 40, 56, 128 (bits of an NTLM session key)', IMS))
      .toBe('Minimum session key (lab addition): expected one of 40, 56, 128 (bits of an NTLM session key)');
  });

  it('names every field of a refusal with several issues, a list\'s index left out of the key', () => {
    expect(friendly('applyAction: payload.createAccount.domain: must not be empty (e.g. INTELLINET); payload.createAccount.user: must not be empty (e.g. DOUG)', {
      'createAccount.domain': 'NT domain', 'createAccount.user': 'Account',
    })).toBe('NT domain: must not be empty (e.g. INTELLINET); Account: must not be empty (e.g. DOUG)');
    expect(friendly('sendMessage: payload.to[1]: expected a mail address such as alice@intellinet.example', { to: 'To' })).toBe('To: expected a mail address such as alice@intellinet.example');
  });

  it('without a label, words the key\'s last part; a sentence of the engine\'s own keeps its words', () => {
    expect(friendly('saveSecurity: payload.setting.logon.user: is too long (at most 200 characters)')).toBe('User: is too long (at most 200 characters)');
    expect(friendly('advanceClock: payload.by: "90" has no unit: say 90s, 15m, 2h or 2d', IMS)).toBe('By: "90" has no unit: say 90s, 15m, 2h or 2d');
    expect(friendly('enter the password of INTELLINET\\DOUG', IMS)).toBe('Enter the password of INTELLINET\\DOUG');
  });

  it('keeps an organisation id that begins the engine\'s sentence as it is written', () => {
    const refusal = 'ntsol already has an account NTSOL\\DOUG: change its password, enable it, or delete it first';
    expect(friendly(refusal, {}, ['intellinet', 'ntsol'])).toBe('ntsol already has an account NTSOL\\DOUG: change its password, enable it, or delete it first');
    expect(friendly('ntsol has no NT domain to change', {}, ['ntsol'])).toBe('ntsol has no NT domain to change');
    expect(friendly('no organisation ntsol', {}, ['ntsol'])).toBe('No organisation ntsol');
  });
});

describe('ntState: the NT build and level an organisation card says', () => {
  const form = ntSettingsForm(product('exchange-5.5'));

  it('names the build in the dialog\'s words and the registry value with its number, on one short line', () => {
    expect(ntState({ crypto: 'export-40', lmCompatibility: 2 }, form)).toBe('40-bit (export) · LMCompatibilityLevel 2');
    expect(ntState({ crypto: 'us-128', lmCompatibility: 5 }, form)).toBe('128-bit (North America) · LMCompatibilityLevel 5');
  });
});
