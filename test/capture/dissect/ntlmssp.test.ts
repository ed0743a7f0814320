import { describe, expect, it } from 'vitest';
import { dissectNtlmssp, ntlmsspDissector } from '../../../app/capture/dissect/ntlmssp.ts';
import { smtpDissector } from '../../../app/capture/dissect/smtp.ts';
import { authenticateMessage, challengeMessage, negotiateMessage } from './ntlm-vectors.ts';
import { run, values } from './run.ts';

describe('NTLMSSP dissector', () => {
  it('shows domain, user and workstation of the MS-NLMP §4.2.2.3 AUTHENTICATE message', () => {
    const pdus = run(ntlmsspDissector.open({ depth: 1, decrypt: false }), [['c2s', authenticateMessage]]);
    expect(values(pdus, 'ntlmssp.messagetype')).toEqual([3]);
    expect(values(pdus, 'ntlmssp.auth.domain')).toEqual(['Domain']);
    expect(values(pdus, 'ntlmssp.auth.username')).toEqual(['User']);
    expect(values(pdus, 'ntlmssp.auth.hostname')).toEqual(['COMPUTER']);
    expect(values(pdus, 'ntlmssp.negotiateflags')).toEqual([0xe2808235]);
    expect(values(pdus, 'ntlmssp.negotiateseal')).toEqual([true]);
    expect(pdus[0].info).toBe('NTLMSSP_AUTH, User: Domain\\User');
  });

  it('shows the server challenge of the §4.2.2.3 CHALLENGE message', () => {
    const { pdu } = dissectNtlmssp(challengeMessage, 1);
    expect(values([pdu], 'ntlmssp.ntlmserverchallenge')).toEqual([Buffer.from('0123456789abcdef', 'hex')]);
    expect(values([pdu], 'ntlmssp.challenge.target_name')).toEqual(['Server']);
    expect(values([pdu], 'ntlmssp.negotiate128')).toEqual([true]);
  });

  it('reports a blob that is not NTLMSSP as malformed', () => {
    const { pdu, message } = dissectNtlmssp(Buffer.from('hello world!'), 1);
    expect(message).toBeUndefined();
    expect(values([pdu], '_ws.malformed')).toEqual(['no NTLMSSP signature']);
  });

  it('finds the blobs in AUTH NTLM, both the initial-response and the 334 form (MS-SMTPNTLM)', () => {
    const b64 = (b: Buffer) => b.toString('base64');
    for (const first of [[['c2s', `AUTH NTLM ${b64(negotiateMessage())}\r\n`]], [['c2s', 'AUTH NTLM\r\n'], ['s2c', '334 ntlm supported\r\n'], ['c2s', `${b64(negotiateMessage())}\r\n`]]] as ['c2s' | 's2c', string][][]) {
      const pdus = run(smtpDissector.open({ depth: 0, decrypt: false }), [
        ...first,
        ['s2c', `334 ${b64(challengeMessage)}\r\n`],
        ['c2s', `${b64(authenticateMessage)}\r\n`],
        ['s2c', '235 2.7.0 Authentication successful\r\n'],
      ], 11);
      expect(values(pdus, 'ntlmssp.messagetype')).toEqual([1, 2, 3]);
      expect(values(pdus, 'ntlmssp.auth.username')).toEqual(['User']);
      expect(values(pdus, 'smtp.response.code').at(-1)).toBe(235);
    }
  });
});
