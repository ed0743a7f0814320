import { describe, expect, it } from 'vitest';
import { Rc4, rc4k } from '../../app/ntlm/rc4.ts';
import { legacyRc4 } from './legacy-openssl.ts';

// RFC 6229 §2: keystream bytes at the given offsets for the given keys.
const RFC6229: { key: string; offset: number; stream: string }[] = [
  { key: '0102030405', offset: 0, stream: 'b2396305f03dc027ccc3524a0a1118a8' },
  { key: '0102030405', offset: 16, stream: '6982944f18fc82d589c403a47a0d0919' },
  { key: '0102030405', offset: 240, stream: '28cb1132c96ce286421dcaadb8b69eae' },
  { key: '0102030405', offset: 256, stream: '1cfcf62b03eddb641d77dfcf7f8d8c93' },
  { key: '0102030405', offset: 4080, stream: '068326a2118416d21f9d04b2cd1ca050' },
  { key: '0102030405', offset: 4096, stream: 'ff25b58995996707e51fbdf08b34d875' },
  { key: '01020304050607', offset: 0, stream: '293f02d47f37c9b633f2af5285feb46b' },
  { key: '01020304050607', offset: 16, stream: 'e620f1390d19bd84e2e0fd752031afc1' },
  { key: '01020304050607', offset: 240, stream: '914f02531c9218810df60f67e338154c' },
  { key: '01020304050607', offset: 256, stream: 'd0fdb583073ce85ab83917740ec011d5' },
  { key: '0102030405060708090a0b0c0d0e0f10', offset: 0, stream: '9ac7cc9a609d1ef7b2932899cde41b97' },
  { key: '0102030405060708090a0b0c0d0e0f10', offset: 16, stream: '5248c4959014126a6e8a84f11d1a9e1c' },
];

describe('Rc4', () => {
  it.each(RFC6229)('matches RFC 6229 for key $key at offset $offset', ({ key, offset, stream }) => {
    const ks = rc4k(Buffer.from(key, 'hex'), Buffer.alloc(offset + 16));
    expect(ks.subarray(offset).toString('hex')).toBe(stream);
  });

  it('into() writes the same keystream XOR at an offset, in place too, and leaves the input as it was', () => {
    const key = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const copy = Buffer.from(data);
    const expected = new Rc4(key).update(data);
    const out = Buffer.alloc(310, 0xee);
    new Rc4(key).into(data, out, 7);
    expect(out.subarray(7, 307).equals(expected)).toBe(true);
    expect([...out.subarray(0, 7), ...out.subarray(307)].every((b) => b === 0xee)).toBe(true);
    expect(data.equals(copy)).toBe(true);
    const inPlace = Buffer.from(data);
    new Rc4(key).into(inPlace, inPlace, 0);
    expect(inPlace.equals(expected)).toBe(true);
  });

  it('keeps its keystream across updates, as an NTLM sealing handle must', () => {
    const key = Buffer.from('0102030405', 'hex');
    const handle = new Rc4(key);
    const pieces = [3, 13, 0, 200, 40].map((n) => handle.update(Buffer.alloc(n)));
    expect(Buffer.concat(pieces).toString('hex')).toBe(rc4k(key, Buffer.alloc(256)).toString('hex'));
    expect(Buffer.concat(pieces).subarray(240, 256).toString('hex')).toBe('28cb1132c96ce286421dcaadb8b69eae');
  });

  it('decrypts what it encrypted with the same key', () => {
    const key = Buffer.from('secret key');
    const plain = Buffer.from('MAIL FROM:<alice@intellinet.example>\r\n');
    expect(rc4k(key, rc4k(key, plain)).toString()).toBe(plain.toString());
  });

  it('refuses an empty key', () => {
    expect(() => new Rc4(Buffer.alloc(0))).toThrow(RangeError);
  });

  const probe = legacyRc4([[Buffer.from([1]), Buffer.alloc(1)]]);
  const title = 'agrees with OpenSSL\'s legacy provider for keys of 1 to 32 bytes';
  it.skipIf(!probe.available)(probe.available ? title : `${title} (skipped: ${probe.reason})`, () => {
    const pairs: [Buffer, Buffer][] = Array.from({ length: 32 }, (_, n) => [
      Buffer.from(Array.from({ length: n + 1 }, (_, i) => (i * 91 + n * 7) & 0xff)),
      Buffer.from(Array.from({ length: 300 + n }, (_, i) => (i * 13) & 0xff)),
    ]);
    const theirs = legacyRc4(pairs);
    if (!theirs.available) throw new Error(theirs.reason);
    expect(pairs.map(([k, d]) => rc4k(k, d).toString('hex'))).toEqual(theirs.outputs);
  });
});
