import { describe, expect, it } from 'vitest';
import { des, desl } from '../../app/ntlm/crypto.ts';
import { lmowfv1, ntlmv1Response, ntlmv2Response, ntowfv1, ntowfv2 } from '../../app/ntlm/responses.ts';
import { common, v1, v1Ess, v2 } from './ms-nlmp-vectors.ts';

describe('DES with a 7-byte key (MS-NLMP §6)', () => {
  it('spreads the 56 key bits like the classic test key 0x0123456789ABCDEF', () => {
    // FIPS 81 / the "Now is the time for all " example: key 0123456789abcdef, text "Now is t".
    // Its 56 secret bits (the parity bits dropped) packed into 7 bytes are 00451338957377.
    const packed = Buffer.from('00451338957377', 'hex');
    expect(des(packed, Buffer.from('Now is t')).toString('hex')).toBe('3fa40e8a984d4815');
  });

  it('DESL pads the 16-byte key to 21 and answers with 24 bytes', () => {
    expect(desl(v1.ntowf, common.serverChallenge)).toEqual(v1.ntlmv1Response);
  });
});

describe('NTLMv1 (MS-NLMP §4.2.2)', () => {
  it('computes LMOWFv1 and NTOWFv1 of "Password" (§4.2.2.1.1, §4.2.2.1.2)', () => {
    expect(lmowfv1(common.password)).toEqual(v1.lmowf);
    expect(ntowfv1(common.password)).toEqual(v1.ntowf);
  });

  it('computes the NTLMv1 and LMv1 responses and the session base key (§4.2.2.1.3, §4.2.2.2)', () => {
    const r = ntlmv1Response({ password: common.password, serverChallenge: common.serverChallenge, clientChallenge: common.clientChallenge, ess: false });
    expect(r.ntResponse).toEqual(v1.ntlmv1Response);
    expect(r.lmResponse).toEqual(v1.lmv1Response);
    expect(r.sessionBaseKey).toEqual(v1.sessionBaseKey);
  });

  it('sends the NT response twice when the password is too long for an LM hash', () => {
    const r = ntlmv1Response({ password: 'a-password-of-20-chr', serverChallenge: common.serverChallenge, clientChallenge: common.clientChallenge, ess: false });
    expect(r.lmResponse).toEqual(r.ntResponse);
  });
});

describe('NTLMv1 with client challenge (MS-NLMP §4.2.3)', () => {
  it('computes the LM and NT responses of the NTLM2 session response (§4.2.3.2)', () => {
    const r = ntlmv1Response({ password: common.password, serverChallenge: common.serverChallenge, clientChallenge: common.clientChallenge, ess: true });
    expect(r.lmResponse).toEqual(v1Ess.lmResponse);
    expect(r.ntResponse).toEqual(v1Ess.ntResponse);
    expect(r.sessionBaseKey).toEqual(v1.sessionBaseKey);
  });
});

describe('NTLMv2 (MS-NLMP §4.2.4)', () => {
  it('computes NTOWFv2 (§4.2.4.1.1): user upper-cased, domain as given', () => {
    expect(ntowfv2(common.password, common.user, common.userDom)).toEqual(v2.ntowf);
    expect(ntowfv2(common.password, 'user', common.userDom)).toEqual(v2.ntowf);
    expect(ntowfv2(common.password, common.user, 'DOMAIN')).not.toEqual(v2.ntowf);
  });

  it('computes the LMv2 and NTLMv2 responses and the session base key (§4.2.4.1.2, §4.2.4.2)', () => {
    const r = ntlmv2Response({
      responseKeyNT: v2.ntowf,
      serverChallenge: common.serverChallenge,
      clientChallenge: common.clientChallenge,
      time: common.time,
      targetInfo: v2.targetInfo,
    });
    expect(r.lmResponse).toEqual(v2.lmv2Response);
    expect(r.ntProofStr).toEqual(v2.ntProofStr);
    expect(r.ntResponse.subarray(0, 16)).toEqual(v2.ntProofStr);
    expect(r.sessionBaseKey).toEqual(v2.sessionBaseKey);
    // The NtChallengeResponse of the §4.2.4.3 AUTHENTICATE_MESSAGE (length 0x54 at offset 0x84).
    expect(r.ntResponse).toEqual(v2.authenticateMessage.subarray(0x84, 0x84 + 0x54));
  });
});
