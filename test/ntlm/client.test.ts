import { describe, expect, it } from 'vitest';
import { AvId } from '../../app/ntlm/av-pairs.ts';
import { NtlmClientSession } from '../../app/ntlm/client.ts';
import type { NtlmClientOptions } from '../../app/ntlm/client.ts';
import { flagNames } from '../../app/ntlm/flags.ts';
import { decodeNtlmMessage, encodeChallenge } from '../../app/ntlm/messages.ts';
import type { AuthenticateMessage } from '../../app/ntlm/messages.ts';
import { common, v1, v2 } from './ms-nlmp-vectors.ts';

/** randomBytes that hands out the §4.2.1 client challenge, then the random session key. */
function specRandom(): (n: number) => Buffer {
  return (n) => (n === 8 ? common.clientChallenge : common.randomSessionKey);
}

function specClient(over: Partial<NtlmClientOptions> = {}): NtlmClientSession {
  return new NtlmClientSession({
    domain: common.userDom, user: common.user, password: common.password, workstation: common.workstation,
    responses: 'v2', crypto: 'us-128', randomBytes: specRandom(), ...over,
  });
}

function authenticate(c: NtlmClientSession, challenge: Buffer): AuthenticateMessage {
  c.negotiate();
  const r = c.onChallenge(challenge);
  if (!r.ok) throw new Error(r.error);
  const m = decodeNtlmMessage(r.authenticate);
  if (!m.ok || m.message.type !== 3) throw new Error('not an AUTHENTICATE');
  return m.message;
}

function spec(vector: Buffer): AuthenticateMessage {
  const m = decodeNtlmMessage(vector);
  if (!m.ok || m.message.type !== 3) throw new Error('not an AUTHENTICATE');
  return m.message;
}

describe('NtlmClientSession', () => {
  it('asks for sealing, signing, ESS, key exchange and Unicode; 128/56 only in the us-128 build', () => {
    const names = (crypto: 'us-128' | 'export-40') => {
      const m = decodeNtlmMessage(specClient({ crypto }).negotiate());
      return m.ok ? flagNames(m.message.flags) : [];
    };
    expect(names('us-128')).toEqual(expect.arrayContaining([
      'NTLMSSP_NEGOTIATE_UNICODE', 'NTLMSSP_NEGOTIATE_SIGN', 'NTLMSSP_NEGOTIATE_SEAL', 'NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY',
      'NTLMSSP_NEGOTIATE_KEY_EXCH', 'NTLMSSP_NEGOTIATE_128', 'NTLMSSP_NEGOTIATE_56',
    ]));
    expect(names('export-40')).not.toContain('NTLMSSP_NEGOTIATE_128');
    expect(names('export-40')).not.toContain('NTLMSSP_NEGOTIATE_56');
  });

  it('answers the §4.2.4.3 CHALLENGE with the §4.2.4.3 responses and encrypted session key (NTLMv2)', () => {
    const c = specClient();
    const ours = authenticate(c, v2.challengeMessage);
    const theirs = spec(v2.authenticateMessage);
    expect(ours).toMatchObject({ domain: 'Domain', user: 'User', workstation: 'COMPUTER' });
    expect(ours.lmResponse).toEqual(theirs.lmResponse);
    expect(ours.ntResponse).toEqual(theirs.ntResponse);
    expect(ours.encryptedRandomSessionKey).toEqual(theirs.encryptedRandomSessionKey);
    expect(c.keys()?.clientSealingKey).toEqual(v2.clientSealKey);
    expect(c.sealNegotiated()).toBe(true);
    expect(c.keyBits()).toBe(128);
  });

  it('answers the §4.2.2.3 CHALLENGE (no ESS offered) with the §4.2.2.3 NTLMv1 responses', () => {
    const c = specClient({ responses: 'v1' });
    const ours = authenticate(c, v1.challengeMessage);
    const theirs = spec(v1.authenticateMessage);
    expect(ours.lmResponse).toEqual(theirs.lmResponse);
    expect(ours.ntResponse).toEqual(theirs.ntResponse);
    expect(ours.encryptedRandomSessionKey).toEqual(theirs.encryptedRandomSessionKey);
  });

  it('never puts the password on the wire, in any encoding', () => {
    const c = specClient({ password: 'Sunrise-42' });
    c.negotiate();
    const r = c.onChallenge(v2.challengeMessage);
    if (!r.ok) throw new Error(r.error);
    for (const enc of ['utf16le', 'latin1'] as const) expect(r.authenticate.includes(Buffer.from('Sunrise-42', enc))).toBe(false);
  });

  it('uses the server\'s MsvAvTimestamp for the NTLMv2 blob when there is one, else the lab clock', () => {
    const stamp = Buffer.from('0102030405060708', 'hex');
    const challenge = encodeChallenge({ flags: v2.flags, serverChallenge: common.serverChallenge, targetName: 'Server', targetInfo: [{ id: AvId.MsvAvTimestamp, value: stamp }] });
    expect(authenticate(specClient(), challenge).ntResponse.subarray(24, 32)).toEqual(stamp);
    const plain = encodeChallenge({ flags: v2.flags, serverChallenge: common.serverChallenge, targetName: 'Server', targetInfo: [] });
    const at = Date.UTC(2026, 10, 28, 9);
    const ticks = authenticate(specClient({ now: () => at }), plain).ntResponse.readBigUInt64LE(24);
    expect(ticks).toBe((BigInt(at) + 11_644_473_600_000n) * 10_000n);
  });

  it('refuses a CHALLENGE before its NEGOTIATE, and garbage, without throwing', () => {
    expect(specClient().onChallenge(v2.challengeMessage)).toMatchObject({ ok: false, error: 'CHALLENGE received in state initial' });
    const c = specClient();
    c.negotiate();
    expect(c.onChallenge(Buffer.from('not ntlm'))).toMatchObject({ ok: false });
    expect(c.state).toBe('failed');
    expect(c.keys()).toBeUndefined();
  });
});
