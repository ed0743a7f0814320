/**
 * The cryptographic operations of MS-NLMP §6 that NTLM builds on: DES with a 7-byte key, DESL,
 * MD5, HMAC_MD5, and the string encodings of the protocol. DES comes from node-forge (OpenSSL 3
 * moved it to the legacy provider, docs/ntlm.md "Legacy crypto"); MD5 and HMAC-MD5 from node:crypto.
 */
import { createHash, createHmac } from 'node:crypto';
import forge from 'node-forge';

export function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmacMd5(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * MS-NLMP §6 DES(K, D): K is 7 bytes (56 bits) spread over the 8 key bytes DES expects, seven
 * bits per byte with the low (parity) bit left clear: DES ignores it.
 */
export function des(key7: Buffer, data8: Buffer): Buffer {
  const k = Buffer.alloc(8);
  k[0] = key7[0] & 0xfe;
  for (let i = 1; i < 7; i++) k[i] = ((key7[i - 1] << (8 - i)) | (key7[i] >> i)) & 0xfe;
  k[7] = (key7[6] << 1) & 0xfe;
  const cipher = forge.cipher.createCipher('DES-ECB', forge.util.createBuffer(k.toString('binary')));
  cipher.start();
  cipher.update(forge.util.createBuffer(data8.subarray(0, 8).toString('binary')));
  // ECB hands out each full block on update; finish() would only add a padding block.
  return Buffer.from(cipher.output.getBytes(), 'binary');
}

/**
 * MS-NLMP §6 DESL(K, D): the 16-byte K padded to 21 bytes, split in three 7-byte DES keys, each
 * encrypting the same 8-byte D. The last key has only two secret bytes — the weakness that makes
 * NTLMv1 responses cheap to crack offline.
 */
export function desl(key16: Buffer, data8: Buffer): Buffer {
  const k = Buffer.alloc(21);
  key16.copy(k, 0, 0, 16);
  return Buffer.concat([des(k.subarray(0, 7), data8), des(k.subarray(7, 14), data8), des(k.subarray(14, 21), data8)]);
}

/** Strings on the wire: UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is negotiated (MS-NLMP §2.2). */
export function unicode(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

/**
 * The OEM character set (MS-NLMP §2.2: "the OEM character set of the client"). The lab has no
 * code pages; Latin-1 stands in, which is exact for the ASCII names a trainee types.
 */
export function oem(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

export function concat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

/** Constant-time comparison for responses and signatures (lengths are public). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
