import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from '../../app/ntlm/crc32.ts';
import { deriveSessionKeys } from '../../app/ntlm/keys.ts';
import { createSealContext } from '../../app/ntlm/seal.ts';
import { common, v1, v1Ess, v2 } from './ms-nlmp-vectors.ts';

describe('crc32', () => {
  it("zlib's CRC-32 and the table agree on every length, unsigned", () => {
    const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 131 + 7) & 0xff));
    for (let n = 0; n <= bytes.length; n += 37) {
      const part = bytes.subarray(n % 11, n);
      expect(crc32(part)).toBe(crc32Table(part));
      expect(crc32(part)).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives the standard check value of "123456789"', () => {
    expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
    expect(crc32Table(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
  });
});

describe('SEAL with the MS-NLMP §4.2 GSS_WrapEx examples', () => {
  it('NTLMv1 without extended session security (§4.2.2.4): RC4 and a CRC32 signature', () => {
    const ctx = createSealContext(deriveSessionKeys(v1.flags, common.randomSessionKey), 'client');
    const { sealed, signature } = ctx.send.seal(common.plaintext);
    expect(sealed).toEqual(v1.sealedPlaintext);
    expect(signature).toEqual(v1.signature);
  });

  it('NTLMv1 with client challenge (§4.2.3.4): 56-bit key, HMAC checksum sent in clear without KEY_EXCH', () => {
    const ctx = createSealContext(deriveSessionKeys(v1Ess.flags, v1Ess.keyExchangeKey), 'client');
    const { sealed, signature } = ctx.send.seal(common.plaintext);
    expect(sealed).toEqual(v1Ess.sealedPlaintext);
    expect(signature).toEqual(v1Ess.signature);
  });

  it('NTLMv2 (§4.2.4.4): 128-bit key, checksum encrypted with the sealing handle', () => {
    const ctx = createSealContext(deriveSessionKeys(v2.flags, common.randomSessionKey), 'client');
    const { sealed, signature } = ctx.send.seal(common.plaintext);
    expect(sealed).toEqual(v2.sealedPlaintext);
    expect(signature).toEqual(v2.signature);
  });

  it('the server unseals the §4.2.4.4 message the client sealed', () => {
    const server = createSealContext(deriveSessionKeys(v2.flags, common.randomSessionKey), 'server');
    const r = server.receive.unseal(v2.sealedPlaintext, v2.signature);
    expect(r).toEqual({ ok: true, message: common.plaintext });
  });
});

describe('both directions of a session', () => {
  for (const [name, flags, key] of [
    ['NTLMv2', v2.flags, common.randomSessionKey],
    ['NTLMv1 + ESS', v1Ess.flags, v1Ess.keyExchangeKey],
    ['NTLMv1', v1.flags, common.randomSessionKey],
  ] as const) {
    it(`${name}: each side reads what the other sealed, message after message`, () => {
      const keys = deriveSessionKeys(flags, key);
      const client = createSealContext(keys, 'client');
      const server = createSealContext(keys, 'server');
      for (const line of ['EHLO mail.intellinet.example\r\n', 'MAIL FROM:<alice@intellinet.example>\r\n', '']) {
        const c2s = client.send.seal(Buffer.from(line));
        expect(server.receive.unseal(c2s.sealed, c2s.signature)).toEqual({ ok: true, message: Buffer.from(line) });
        const s2c = server.send.seal(Buffer.from(`250 ${line}`));
        expect(client.receive.unseal(s2c.sealed, s2c.signature)).toEqual({ ok: true, message: Buffer.from(`250 ${line}`) });
      }
    });

    it(`${name}: a flipped ciphertext bit is a bad signature, a replay a bad sequence number`, () => {
      const keys = deriveSessionKeys(flags, key);
      const tampered = createSealContext(keys, 'server');
      const c1 = createSealContext(keys, 'client');
      const m = c1.send.seal(Buffer.from('RCPT TO:<sean@ntsol.example>\r\n'));
      m.sealed[5] ^= 0x01;
      expect(tampered.receive.unseal(m.sealed, m.signature)).toMatchObject({ ok: false, error: expect.stringMatching(/bad signature/) });

      const client = createSealContext(keys, 'client');
      const first = client.send.seal(Buffer.from('one'));
      const replayTarget = createSealContext(keys, 'server');
      expect(replayTarget.receive.unseal(first.sealed, first.signature).ok).toBe(true);
      // The same frame again: wrong keystream position and an old sequence number.
      expect(replayTarget.receive.unseal(first.sealed, first.signature).ok).toBe(false);
    });
  }

  it('ESS: a signature carrying the wrong sequence number says so', () => {
    const keys = deriveSessionKeys(v1Ess.flags, v1Ess.keyExchangeKey);
    const client = createSealContext(keys, 'client');
    const server = createSealContext(keys, 'server');
    const m = client.send.seal(Buffer.from('DATA\r\n'));
    m.signature.writeUInt32LE(7, 12);
    expect(server.receive.unseal(m.sealed, m.signature)).toEqual({ ok: false, error: 'bad sequence number 7, expected 0' });
  });
});
