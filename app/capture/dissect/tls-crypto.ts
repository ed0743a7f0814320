/**
 * TLS record decryption from a key log, for "decrypt with lab keys".
 *
 * TLS 1.3 (RFC 8446): the key log gives the traffic secrets; each direction's key and IV come from
 * HKDF-Expand-Label (§7.1) as in §7.3, the nonce is the IV XOR the 64-bit record sequence number
 * (§5.3), and the additional data is the record header (§5.2).
 *
 * TLS 1.2 (RFC 5246): the key log gives the master secret (`CLIENT_RANDOM`); the key block comes
 * from the PRF of §5 (P_SHA256 or P_SHA384 per suite), laid out as in §6.3. AES-GCM records carry
 * an 8-byte explicit nonce after a 4-byte salt (RFC 5288 §3); ChaCha20-Poly1305 XORs the sequence
 * number into a 12-byte IV (RFC 7905 §2). Additional data: seq, type, version, length (§6.2.3.3).
 */
import { createDecipheriv, createHmac } from 'node:crypto';

export type Aead = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface SuiteCrypto {
  aead: Aead;
  hash: 'sha256' | 'sha384';
  keyLength: number;
  /** TLS 1.2 fixed IV length from the key block (4 for GCM, 12 for ChaCha20). */
  fixedIvLength: number;
}

const GCM128: SuiteCrypto = { aead: 'aes-128-gcm', hash: 'sha256', keyLength: 16, fixedIvLength: 4 };
const GCM256: SuiteCrypto = { aead: 'aes-256-gcm', hash: 'sha384', keyLength: 32, fixedIvLength: 4 };
const CHACHA: SuiteCrypto = { aead: 'chacha20-poly1305', hash: 'sha256', keyLength: 32, fixedIvLength: 12 };

/** Cipher suites whose records we can open (IANA TLS Cipher Suites registry). */
export const DECRYPTABLE: ReadonlyMap<number, SuiteCrypto> = new Map([
  [0x1301, GCM128], // TLS_AES_128_GCM_SHA256
  [0x1302, GCM256], // TLS_AES_256_GCM_SHA384
  [0x1303, CHACHA], // TLS_CHACHA20_POLY1305_SHA256
  [0xc02f, GCM128], // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  [0xc02b, GCM128], // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
  [0x009c, GCM128], // TLS_RSA_WITH_AES_128_GCM_SHA256
  [0x009e, GCM128], // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
  [0xc030, GCM256], // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
  [0xc02c, GCM256], // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
  [0x009d, GCM256], // TLS_RSA_WITH_AES_256_GCM_SHA384
  [0x009f, GCM256], // TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
  [0xcca8, CHACHA], // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
  [0xcca9, CHACHA], // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
  [0xccaa, CHACHA], // TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
]);

/** NSS key log: `LABEL <client random hex> <secret hex>` per line, `#` comments. */
export type KeyLog = Map<string, Map<string, Buffer>>;

export function parseKeyLog(lines: readonly string[]): KeyLog {
  const out: KeyLog = new Map();
  for (const raw of lines) {
    for (const line of raw.split(/\r?\n/)) {
      const m = /^\s*([A-Z0-9_]+)\s+([0-9a-fA-F]{64})\s+([0-9a-fA-F]+)\s*$/.exec(line);
      if (!m || m[3].length % 2 !== 0) continue;
      const random = m[2].toLowerCase();
      let entry = out.get(random);
      if (!entry) out.set(random, (entry = new Map()));
      entry.set(m[1], Buffer.from(m[3], 'hex'));
    }
  }
  return out;
}

function hmac(hash: string, key: Buffer, data: Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand(hash: 'sha256' | 'sha384', prk: Buffer, info: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(0);
  let total = 0;
  for (let i = 1; total < length; i++) {
    prev = hmac(hash, prk, Buffer.concat([prev, info, Buffer.from([i])]));
    blocks.push(prev);
    total += prev.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** HKDF-Expand-Label (RFC 8446 §7.1): HkdfLabel = length, "tls13 " + label, context. */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, full.length]),
    full,
    Buffer.from([context.length]),
    context,
  ]);
  return hkdfExpand(hash, secret, info, length);
}

export interface TrafficKeys {
  key: Buffer;
  iv: Buffer;
}

/** RFC 8446 §7.3: [sender]_write_key and [sender]_write_iv from a traffic secret. */
export function tls13TrafficKeys(suite: SuiteCrypto, secret: Buffer): TrafficKeys {
  return {
    key: hkdfExpandLabel(suite.hash, secret, 'key', Buffer.alloc(0), suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, 'iv', Buffer.alloc(0), 12),
  };
}

/** RFC 5246 §5: PRF(secret, label, seed) = P_<hash>(secret, label + seed). */
export function tls12Prf(hash: 'sha256' | 'sha384', secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a: Buffer = labelSeed;
  let total = 0;
  while (total < length) {
    a = hmac(hash, secret, a);
    const block = hmac(hash, secret, Buffer.concat([a, labelSeed]));
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** RFC 5246 §6.3 key block for an AEAD suite (no MAC keys): client and server write keys and IVs. */
export function tls12Keys(suite: SuiteCrypto, master: Buffer, clientRandom: Buffer, serverRandom: Buffer): { client: TrafficKeys; server: TrafficKeys } {
  const k = suite.keyLength;
  const v = suite.fixedIvLength;
  const block = tls12Prf(suite.hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * k + 2 * v);
  return {
    client: { key: block.subarray(0, k), iv: block.subarray(2 * k, 2 * k + v) },
    server: { key: block.subarray(k, 2 * k), iv: block.subarray(2 * k + v, 2 * k + 2 * v) },
  };
}

/** The 12-byte IV XOR the sequence number, left-padded (RFC 8446 §5.3, RFC 7905 §2). */
export function xorNonce(iv: Buffer, seq: bigint): Buffer {
  const nonce = Buffer.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(BigInt.asUintN(64, seq));
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i] ^= s[i];
  return nonce;
}

export type Opened = { ok: true; plaintext: Buffer } | { ok: false; error: string };

function aeadOpen(aead: Aead, key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Opened {
  if (sealed.length < 16) return { ok: false, error: 'record shorter than its authentication tag' };
  try {
    const d = aead === 'chacha20-poly1305'
      ? createDecipheriv(aead, key, nonce, { authTagLength: 16 })
      : createDecipheriv(aead, key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: sealed.length - 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const plaintext = Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
    return { ok: true, plaintext };
  } catch {
    return { ok: false, error: 'authentication failed (wrong key or sequence number)' };
  }
}

/** Open a TLS 1.3 record: `header` is its 5 bytes, `body` the encrypted_record (RFC 8446 §5.2). */
export function openTls13(suite: SuiteCrypto, keys: TrafficKeys, seq: bigint, header: Buffer, body: Buffer): { ok: true; type: number; content: Buffer } | { ok: false; error: string } {
  const r = aeadOpen(suite.aead, keys.key, xorNonce(keys.iv, seq), header, body);
  if (!r.ok) return r;
  // TLSInnerPlaintext: content, the real content type, then zero padding (§5.2).
  let end = r.plaintext.length;
  while (end > 0 && r.plaintext[end - 1] === 0) end--;
  if (end === 0) return { ok: false, error: 'inner plaintext has no content type' };
  return { ok: true, type: r.plaintext[end - 1], content: r.plaintext.subarray(0, end - 1) };
}

/** Open a TLS 1.2 AEAD record (type and version from its header). */
export function openTls12(suite: SuiteCrypto, keys: TrafficKeys, seq: bigint, type: number, version: number, body: Buffer): Opened {
  let nonce: Buffer;
  let sealed: Buffer;
  if (suite.aead === 'chacha20-poly1305') {
    nonce = xorNonce(keys.iv, seq);
    sealed = body;
  } else {
    if (body.length < 8 + 16) return { ok: false, error: 'record too short for AES-GCM' };
    nonce = Buffer.concat([keys.iv, body.subarray(0, 8)]);
    sealed = body.subarray(8);
  }
  const aad = Buffer.alloc(13);
  aad.writeBigUInt64BE(BigInt.asUintN(64, seq), 0);
  aad[8] = type;
  aad.writeUInt16BE(version, 9);
  aad.writeUInt16BE(Math.max(0, sealed.length - 16), 11);
  return aeadOpen(suite.aead, keys.key, nonce, aad, sealed);
}
