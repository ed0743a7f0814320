import { describe, expect, it } from 'vitest';
import { byteBreaks, identBreaks, nameBreaks } from '../../renderer/lib/format.ts';

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
