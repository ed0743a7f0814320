import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/rng.ts';
import { deriveSessionKeys } from '../../app/ntlm/keys.ts';
import { MAX_PLAINTEXT, createSecurityLayer } from '../../app/ntlm/sasl-layer.ts';
import { common, v2 } from './ms-nlmp-vectors.ts';

const keys = deriveSessionKeys(v2.flags, common.randomSessionKey);

function pair() {
  return { client: createSecurityLayer(keys, 'client'), server: createSecurityLayer(keys, 'server') };
}

describe('createSecurityLayer (the reconstructed SASL layer, docs/ntlm.md)', () => {
  it('frames the §4.2.4.4 SEAL output: 4-byte big-endian length, sealed bytes, 16-byte signature', () => {
    const frame = pair().client.wrap(common.plaintext);
    expect(frame.readUInt32BE(0)).toBe(common.plaintext.length + 16);
    expect(frame.subarray(4)).toEqual(Buffer.concat([v2.sealedPlaintext, v2.signature]));
  });

  it('the other side unwraps byte by byte, buffering partial frames', () => {
    const { client, server } = pair();
    const lines = ['EHLO mail.intellinet.example\r\n', 'MAIL FROM:<alice@intellinet.example>\r\n', 'RCPT TO:<sean@ntsol.example>\r\n'];
    const wire = Buffer.concat(lines.map((l) => client.wrap(Buffer.from(l))));
    const got: string[] = [];
    for (const byte of wire) {
      const r = server.unwrap(Buffer.from([byte]));
      if (!r.ok) throw new Error(r.error);
      got.push(...r.plaintext.map(String));
    }
    expect(got).toEqual(lines);
  });

  it('returns every frame completed by one chunk, and works server to client', () => {
    const { client, server } = pair();
    const wire = Buffer.concat([server.wrap(Buffer.from('250-mail.ntsol.example\r\n')), server.wrap(Buffer.from('250 SIZE\r\n'))]);
    expect(client.unwrap(wire)).toEqual({ ok: true, plaintext: [Buffer.from('250-mail.ntsol.example\r\n'), Buffer.from('250 SIZE\r\n')] });
  });

  it('splits a large write into buffers of at most 64 KiB of plaintext', () => {
    const { client, server } = pair();
    const body = Buffer.alloc(MAX_PLAINTEXT * 2 + 10, 0x41);
    const r = server.unwrap(client.wrap(body));
    if (!r.ok) throw new Error(r.error);
    expect(r.plaintext.map((p) => p.length)).toEqual([MAX_PLAINTEXT, MAX_PLAINTEXT, 10]);
    expect(Buffer.concat(r.plaintext)).toEqual(body);
  });

  it('neither side changes the buffers it is given: the plaintext written, the chunk read', () => {
    const { client, server } = pair();
    const plain = Buffer.from('DATA\r\n'), plainCopy = Buffer.from(plain);
    const wire = Buffer.concat([client.wrap(plain), client.wrap(Buffer.from('QUIT\r\n'))]);
    const wireCopy = Buffer.from(wire);
    const r = server.unwrap(wire);
    expect(r).toEqual({ ok: true, plaintext: [Buffer.from('DATA\r\n'), Buffer.from('QUIT\r\n')] });
    expect(plain.equals(plainCopy)).toBe(true);
    expect(wire.equals(wireCopy)).toBe(true);
    expect(client.wrap(Buffer.alloc(0))).toHaveLength(0);
  });

  it('NTLMv1 without extended session security: frames seal and unseal both ways (CRC-32 signatures)', () => {
    const v1 = deriveSessionKeys(0xe2028215 & ~0x00080000, common.randomSessionKey);
    const client = createSecurityLayer(v1, 'client'), server = createSecurityLayer(v1, 'server');
    for (const line of ['EHLO a\r\n', 'MAIL FROM:<a@b>\r\n', '']) {
      const r = server.unwrap(client.wrap(Buffer.from(line)));
      expect(r).toEqual({ ok: true, plaintext: line ? [Buffer.from(line)] : [] });
      const back = client.unwrap(server.wrap(Buffer.from(`250 ${line}`)));
      expect(back).toEqual({ ok: true, plaintext: [Buffer.from(`250 ${line}`)] });
    }
  });

  it('hides the plaintext on the wire', () => {
    const canary = Buffer.from('canary-7f3a Trial results for Sean');
    expect(pair().client.wrap(canary).includes(canary)).toBe(false);
  });

  it('fails on a tampered buffer, and stays failed', () => {
    const { client, server } = pair();
    const frame = client.wrap(Buffer.from('DATA\r\n'));
    frame[6] ^= 0x20;
    expect(server.unwrap(frame)).toMatchObject({ ok: false, error: expect.stringMatching(/bad signature/) });
    expect(server.unwrap(client.wrap(Buffer.from('QUIT\r\n')))).toMatchObject({ ok: false });
  });

  it('fails on a dropped or replayed buffer (sequence numbers)', () => {
    const dropped = pair();
    dropped.client.wrap(Buffer.from('lost\r\n'));
    expect(dropped.server.unwrap(dropped.client.wrap(Buffer.from('next\r\n'))).ok).toBe(false);

    const replayed = pair();
    const frame = replayed.client.wrap(Buffer.from('RSET\r\n'));
    expect(replayed.server.unwrap(frame).ok).toBe(true);
    expect(replayed.server.unwrap(frame).ok).toBe(false);
  });

  it.each([
    ['shorter than a signature', '0000000f' + '00'.repeat(15), /shorter than its signature/],
    ['larger than the maximum', 'ffffffff', /exceeds/],
  ])('refuses a length %s', (_, hex, error) => {
    expect(pair().server.unwrap(Buffer.from(hex, 'hex'))).toMatchObject({ ok: false, error: expect.stringMatching(error) });
  });

  it('never throws on hostile bytes (fuzz, seed 4422)', () => {
    const rng = createRng(4422);
    const good = pair().client.wrap(Buffer.from('MAIL FROM:<alice@intellinet.example>\r\n'));
    for (let i = 0; i < 2000; i++) {
      const layer = pair().server;
      const bytes = rng.int(2) ? rng.bytes(rng.int(80)) : Buffer.from(good.subarray(0, rng.int(good.length + 1)));
      if (bytes.length > 4 && rng.int(2)) bytes[4 + rng.int(bytes.length - 4)] ^= 0xff;
      const r = layer.unwrap(bytes);
      expect(typeof r.ok).toBe('boolean');
    }
  });
});
