/**
 * MD4 (RFC 1320), written out because Node 20's OpenSSL 3 default provider and Electron's
 * BoringSSL no longer offer it (docs/ntlm.md, "Legacy crypto"), and NTLM's NT one-way function is
 * MD4 over the UTF-16LE password (MS-NLMP §3.3.1 NTOWFv1). Not for anything but NTLM.
 */

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

// RFC 1320 §3.4: the three auxiliary functions and the round constants.
const F = (x: number, y: number, z: number): number => (x & y) | (~x & z);
const G = (x: number, y: number, z: number): number => (x & y) | (x & z) | (y & z);
const H = (x: number, y: number, z: number): number => x ^ y ^ z;
const ROUND2 = 0x5a827999;
const ROUND3 = 0x6ed9eba1;

// The word order and shifts of each round, RFC 1320 §3.4.
const R1_SHIFTS = [3, 7, 11, 19];
const R2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const R2_SHIFTS = [3, 5, 9, 13];
const R3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const R3_SHIFTS = [3, 9, 11, 15];

/** RFC 1320 §3.1-3.2: pad to 448 mod 512 bits, then append the bit length (64-bit little-endian). */
function pad(data: Buffer): Buffer {
  const bitLength = BigInt(data.length) * 8n;
  const padLength = (data.length % 64 < 56 ? 56 : 120) - (data.length % 64);
  const out = Buffer.alloc(data.length + padLength + 8);
  data.copy(out);
  out[data.length] = 0x80;
  out.writeBigUInt64LE(bitLength & 0xffff_ffff_ffff_ffffn, data.length + padLength);
  return out;
}

export function md4(data: Buffer): Buffer {
  const message = pad(data);
  // RFC 1320 §3.3: initial buffer.
  let a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;
  const x = new Array<number>(16);
  for (let block = 0; block < message.length; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = message.readUInt32LE(block + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (let i = 0; i < 16; i++) {
      const s = R1_SHIFTS[i % 4];
      const t = rotl((a + F(b, c, d) + x[i]) >>> 0, s);
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const s = R2_SHIFTS[i % 4];
      const t = rotl((a + G(b, c, d) + x[R2_ORDER[i]] + ROUND2) >>> 0, s);
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const s = R3_SHIFTS[i % 4];
      const t = rotl((a + H(b, c, d) + x[R3_ORDER[i]] + ROUND3) >>> 0, s);
      [a, b, c, d] = [d, t, b, c];
    }
    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }
  const out = Buffer.alloc(16);
  out.writeUInt32LE(a, 0);
  out.writeUInt32LE(b, 4);
  out.writeUInt32LE(c, 8);
  out.writeUInt32LE(d, 12);
  return out;
}
