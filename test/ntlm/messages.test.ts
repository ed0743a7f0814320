import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/rng.ts';
import { AvId, avName, decodeAvPairs } from '../../app/ntlm/av-pairs.ts';
import {
  decodeNtlmMessage,
  encodeAuthenticate,
  encodeChallenge,
  encodeNegotiate,
  flagNames,
} from '../../app/ntlm/messages.ts';
import type { NtlmMessage } from '../../app/ntlm/messages.ts';
import { common, v1, v2 } from './ms-nlmp-vectors.ts';

const serverVersion = Buffer.from('060070170000000f', 'hex');
const clientVersion = Buffer.from('0501280a0000000f', 'hex');

function decoded(buf: Buffer): NtlmMessage {
  const r = decodeNtlmMessage(buf);
  if (!r.ok) throw new Error(r.error);
  return r.message;
}

describe('flagNames', () => {
  it('names the flags of the §4.2.2 example challenge, lowest bit first', () => {
    expect(flagNames(v1.flags)).toEqual([
      'NTLMSSP_NEGOTIATE_UNICODE', 'NTLM_NEGOTIATE_OEM', 'NTLMSSP_NEGOTIATE_SIGN', 'NTLMSSP_NEGOTIATE_SEAL',
      'NTLMSSP_NEGOTIATE_NTLM', 'NTLMSSP_NEGOTIATE_ALWAYS_SIGN', 'NTLMSSP_TARGET_TYPE_SERVER',
      'NTLMSSP_NEGOTIATE_VERSION', 'NTLMSSP_NEGOTIATE_128', 'NTLMSSP_NEGOTIATE_KEY_EXCH', 'NTLMSSP_NEGOTIATE_56',
    ]);
  });

  it('shows a reserved bit as hex instead of hiding it', () => {
    expect(flagNames(0x04000001)).toEqual(['NTLMSSP_NEGOTIATE_UNICODE', '0x04000000']);
  });
});

describe('encoders reproduce the MS-NLMP §4.2 messages byte for byte', () => {
  it('CHALLENGE_MESSAGE of §4.2.2.3 (no TargetInfo)', () => {
    const m = encodeChallenge({ flags: v1.flags, serverChallenge: common.serverChallenge, targetName: 'Server', version: serverVersion });
    expect(m.toString('hex')).toBe(v1.challengeMessage.toString('hex'));
  });

  it('CHALLENGE_MESSAGE of §4.2.4.3 (with TargetInfo)', () => {
    const m = encodeChallenge({
      flags: v2.flags,
      serverChallenge: common.serverChallenge,
      targetName: 'Server',
      targetInfo: [avName(AvId.MsvAvNbDomainName, 'Domain'), avName(AvId.MsvAvNbComputerName, 'Server')],
      version: serverVersion,
    });
    expect(m.toString('hex')).toBe(v2.challengeMessage.toString('hex'));
  });

  it('AUTHENTICATE_MESSAGE of §4.2.2.3 and §4.2.4.3', () => {
    for (const vector of [v1.authenticateMessage, v2.authenticateMessage]) {
      const d = decoded(vector);
      if (d.type !== 3) throw new Error('expected type 3');
      const again = encodeAuthenticate({ ...d, version: clientVersion });
      expect(again.toString('hex')).toBe(vector.toString('hex'));
    }
  });
});

describe('decodeNtlmMessage', () => {
  it('reads the §4.2.4.3 CHALLENGE: flags, challenge, target name and AV pairs', () => {
    const m = decoded(v2.challengeMessage);
    expect(m).toMatchObject({ type: 2, flags: v2.flags, targetName: 'Server', serverChallenge: common.serverChallenge });
    if (m.type !== 2) return;
    expect(m.targetInfoBytes).toEqual(v2.targetInfo);
    expect(m.targetInfo.map((p) => [p.id, p.value.toString('utf16le')])).toEqual([[2, 'Domain'], [1, 'Server']]);
    expect(m.version).toEqual(serverVersion);
  });

  it('reads the names and responses in the clear from the §4.2.2.3 AUTHENTICATE — never a password', () => {
    const m = decoded(v1.authenticateMessage);
    expect(m).toMatchObject({ type: 3, domain: 'Domain', user: 'User', workstation: 'COMPUTER' });
    if (m.type !== 3) return;
    expect(m.lmResponse).toEqual(v1.lmv1Response);
    expect(m.ntResponse).toEqual(v1.ntlmv1Response);
    expect(m.encryptedRandomSessionKey).toEqual(v1.encryptedSessionKey);
    expect(m.mic).toBeUndefined();
    expect(v1.authenticateMessage.includes(Buffer.from(common.password, 'utf16le'))).toBe(false);
  });

  it('reads OEM names when UNICODE is not negotiated, and a MIC when the header has room for one', () => {
    const mic = Buffer.alloc(16, 0x4d);
    const m = decoded(encodeAuthenticate({
      flags: 0x00000202, lmResponse: Buffer.alloc(24, 1), ntResponse: Buffer.alloc(24, 2),
      domain: 'INTELLINET', user: 'DOUG', workstation: 'MAIL', encryptedRandomSessionKey: Buffer.alloc(0), mic,
    }));
    expect(m).toMatchObject({ type: 3, domain: 'INTELLINET', user: 'DOUG', workstation: 'MAIL', mic });
  });

  it('reads a NEGOTIATE with OEM domain and workstation, and one of only 16 bytes', () => {
    expect(decoded(encodeNegotiate({ flags: 0x3207, domain: 'INTELLINET', workstation: 'MAIL' }))).toMatchObject({ type: 1, flags: 0x3207, domain: 'INTELLINET', workstation: 'MAIL' });
    const short = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from('0100000007b20000', 'hex')]);
    expect(decoded(short)).toMatchObject({ type: 1, flags: 0xb207, domain: '', workstation: '' });
  });

  it.each([
    ['empty', Buffer.alloc(0), /too short/],
    ['no signature', Buffer.from('NTLMSSX\0\x01\0\0\0\0\0\0\0', 'latin1'), /signature/],
    ['unknown type', Buffer.from('NTLMSSP\0\x07\0\0\0', 'latin1'), /type 7/],
    ['a field past the end', Buffer.concat([v1.authenticateMessage.subarray(0, 0x80)]), /past the end/],
  ])('says what is wrong with %s', (_, bytes, error) => {
    const r = decodeNtlmMessage(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it('never throws on random, truncated or bit-flipped messages (fuzz, seed 4954)', () => {
    const rng = createRng(4954);
    const samples = [v1.challengeMessage, v2.challengeMessage, v1.authenticateMessage, v2.authenticateMessage, encodeNegotiate({ flags: 0xe2088297 })];
    let decodedOk = 0;
    for (let i = 0; i < 5000; i++) {
      let bytes: Buffer;
      const base = rng.pick(samples);
      switch (rng.int(4)) {
        case 0: bytes = rng.bytes(rng.int(300)); break;
        case 1: bytes = Buffer.from(base.subarray(0, rng.int(base.length + 1))); break;
        case 2: {
          bytes = Buffer.from(base);
          for (let k = 0; k < 1 + rng.int(6); k++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
          break;
        }
        default: {
          bytes = Buffer.from(base);
          // Hostile lengths and offsets in the security buffers.
          const slot = 12 + 8 * rng.int(Math.floor((bytes.length - 20) / 8));
          bytes.writeUInt16LE(rng.int(0x10000), slot);
          bytes.writeUInt32LE(rng.int(0x1_0000_0000), slot + 4);
        }
      }
      const r = decodeNtlmMessage(bytes);
      expect(typeof r.ok).toBe('boolean');
      if (r.ok) decodedOk++;
      else expect(r.error.length).toBeGreaterThan(0);
    }
    expect(decodedOk).toBeGreaterThan(0);
  });
});

describe('AV pairs', () => {
  it('rejects a list whose pair runs past the end or that lacks MsvAvEOL', () => {
    expect(decodeAvPairs(Buffer.from('0200ff00', 'hex')).ok).toBe(false);
    expect(decodeAvPairs(Buffer.from('020002004400', 'hex')).ok).toBe(false);
    expect(decodeAvPairs(Buffer.alloc(0))).toEqual({ ok: true, value: [] });
  });
});
