/**
 * CRC-32 (the IEEE 802.3 polynomial, reflected, as zlib computes it): the checksum of the
 * NTLMv1 message signature without extended session security (MS-NLMP §3.4.4.1, §6 CRC32).
 */
import zlib from 'node:zlib';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

// zlib's own CRC-32 (the same polynomial) where the runtime has it: node:zlib since Node 20.15,
// and so in Electron 45; the table below otherwise, which test/ntlm/seal.test.ts checks it against.
const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export function crc32(data: Buffer): number {
  return native ? native(data) >>> 0 : crc32Table(data);
}

export function crc32Table(data: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
