import { describe, expect, it } from 'vitest';
import {
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_LM_KEY,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_REQUEST_NON_NT_SESSION_KEY,
} from '../../app/ntlm/flags.ts';
import { deriveSessionKeys, encryptRandomSessionKey, kxkey, negotiatedKeyBits, sealKey, signKey } from '../../app/ntlm/keys.ts';
import { common, v1, v1Ess, v2 } from './ms-nlmp-vectors.ts';

describe('KXKEY and key exchange (MS-NLMP §3.4.5.1, §4.2.2.2.3, §4.2.4.2.3)', () => {
  const base = { version: 'v1' as const, sessionBaseKey: v1.sessionBaseKey, lmResponse: v1.lmv1Response, serverChallenge: common.serverChallenge, lmowf: v1.lmowf };

  it('NTLMv1: the key exchange key is the session base key', () => {
    const key = kxkey({ ...base, flags: v1.flags });
    expect(encryptRandomSessionKey(key, common.randomSessionKey)).toEqual(v1.encryptedSessionKey);
  });

  it('NTLMv1 with NTLMSSP_REQUEST_NON_NT_SESSION_KEY: half the LM hash', () => {
    const key = kxkey({ ...base, flags: v1.flags | NTLMSSP_REQUEST_NON_NT_SESSION_KEY });
    expect(encryptRandomSessionKey(key, common.randomSessionKey)).toEqual(v1.encryptedSessionKeyNonNt);
  });

  it('NTLMv1 with NTLMSSP_NEGOTIATE_LM_KEY: DES of the LM response under the LM hash', () => {
    const key = kxkey({ ...base, flags: v1.flags | NTLMSSP_NEGOTIATE_LM_KEY });
    expect(encryptRandomSessionKey(key, common.randomSessionKey)).toEqual(v1.encryptedSessionKeyLmKey);
  });

  it('NTLMv1 with extended session security mixes in the server challenge and client challenge (§4.2.3.1.3)', () => {
    expect(kxkey({ ...base, flags: v1Ess.flags, lmResponse: v1Ess.lmResponse })).toEqual(v1Ess.keyExchangeKey);
  });

  it('NTLMv2: the key exchange key is the session base key', () => {
    const key = kxkey({ flags: v2.flags, version: 'v2', sessionBaseKey: v2.sessionBaseKey, lmResponse: v2.lmv2Response, serverChallenge: common.serverChallenge });
    expect(encryptRandomSessionKey(key, common.randomSessionKey)).toEqual(v2.encryptedSessionKey);
  });
});

describe('SIGNKEY and SEALKEY (MS-NLMP §3.4.5.2, §3.4.5.3)', () => {
  it('derives the §4.2.4.4 client keys from a 128-bit exported session key', () => {
    expect(sealKey(v2.flags, common.randomSessionKey, 'client')).toEqual(v2.clientSealKey);
    expect(signKey(v2.flags, common.randomSessionKey, 'client')).toEqual(v2.clientSignKey);
  });

  it('derives the §4.2.3.4 client keys of a 56-bit session (7 bytes of the key survive)', () => {
    expect(sealKey(v1Ess.flags, v1Ess.keyExchangeKey, 'client')).toEqual(v1Ess.clientSealKey);
    expect(signKey(v1Ess.flags, v1Ess.keyExchangeKey, 'client')).toEqual(v1Ess.clientSignKey);
  });

  it('a 40-bit session depends only on the first 5 bytes of the exported key', () => {
    const flags = NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_SEAL;
    const a = Buffer.from('0102030405aaaaaaaaaaaaaaaaaaaaaa', 'hex');
    const b = Buffer.from('0102030405bbbbbbbbbbbbbbbbbbbbbb', 'hex');
    expect(sealKey(flags, a, 'client')).toEqual(sealKey(flags, b, 'client'));
    expect(sealKey(flags | NTLMSSP_NEGOTIATE_128, a, 'client')).not.toEqual(sealKey(flags | NTLMSSP_NEGOTIATE_128, b, 'client'));
  });

  it('client and server keys differ with extended session security, and are shared without it', () => {
    const ess = deriveSessionKeys(v2.flags, common.randomSessionKey);
    expect(ess.clientSealingKey).not.toEqual(ess.serverSealingKey);
    expect(ess.clientSigningKey).not.toEqual(ess.serverSigningKey);
    const plain = deriveSessionKeys(v1.flags, common.randomSessionKey);
    expect(plain.clientSealingKey).toEqual(common.randomSessionKey);
    expect(plain.serverSealingKey).toEqual(common.randomSessionKey);
    expect(plain.clientSigningKey.length).toBe(0);
  });

  it('LM_KEY sessions overwrite the tail of the key with the §3.4.5.3 constants', () => {
    const k = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect(sealKey(NTLMSSP_NEGOTIATE_LM_KEY | NTLMSSP_NEGOTIATE_56, k, 'client').toString('hex')).toBe('00112233445566a0');
    expect(sealKey(NTLMSSP_NEGOTIATE_LM_KEY, k, 'client').toString('hex')).toBe('0011223344e538b0');
  });
});

describe('negotiatedKeyBits', () => {
  const ess = NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;
  it.each([
    { name: 'ESS + 128 + 56', flags: ess | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56, bits: 128 },
    { name: 'ESS + 56', flags: ess | NTLMSSP_NEGOTIATE_56, bits: 56 },
    { name: 'ESS alone (export)', flags: ess, bits: 40 },
    { name: 'LM_KEY + 128 (128 does not count without ESS)', flags: NTLMSSP_NEGOTIATE_LM_KEY | NTLMSSP_NEGOTIATE_128, bits: 40 },
    { name: 'plain NTLMv1 seals with the whole key', flags: 0, bits: 128 },
  ])('$name → $bits bits', ({ flags, bits }) => {
    expect(negotiatedKeyBits(flags)).toBe(bits);
  });
});
