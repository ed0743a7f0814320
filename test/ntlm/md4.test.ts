import { describe, expect, it } from 'vitest';
import { md4 } from '../../app/ntlm/md4.ts';
import { legacyDigest } from './legacy-openssl.ts';

// RFC 1320 Appendix A.5, "MD4 test suite".
const RFC1320: [string, string][] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];

describe('md4', () => {
  it.each(RFC1320)('matches RFC 1320 §A.5 for %j', (input, digest) => {
    expect(md4(Buffer.from(input, 'latin1')).toString('hex')).toBe(digest);
  });

  it('gives the NT hash of "Password" (MS-NLMP §4.2.2.1.2, docs/ntlm.md "Legacy crypto")', () => {
    expect(md4(Buffer.from('Password', 'utf16le')).toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });

  const probe = legacyDigest('md4', [Buffer.alloc(0)]);
  const title = 'agrees with OpenSSL\'s legacy provider on every length around the 64-byte block edges';
  it.skipIf(!probe.available)(probe.available ? title : `${title} (skipped: ${probe.reason})`, () => {
    const inputs = Array.from({ length: 140 }, (_, n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)));
    const theirs = legacyDigest('md4', inputs);
    if (!theirs.available) throw new Error(theirs.reason);
    expect(inputs.map((b) => md4(b).toString('hex'))).toEqual(theirs.outputs);
  });
});
