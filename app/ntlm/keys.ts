/**
 * Session keys, MS-NLMP §3.4.5: KXKEY (the key exchange key), key exchange (§3.1.5.1.2), and the
 * per-direction SIGNKEY and SEALKEY, including the 40- and 56-bit weakening of §3.4.5.3.
 *
 *   password ─► response key ─► SessionBaseKey ─► KeyExchangeKey ─┬─(no KEY_EXCH)─► ExportedSessionKey
 *                                                                 └─(KEY_EXCH: RC4 of a random key)─┘
 *   ExportedSessionKey ─► client/server SigningKey, client/server SealingKey
 */
import { concat, des, hmacMd5, md5 } from './crypto.ts';
import {
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_LM_KEY,
  NTLMSSP_REQUEST_NON_NT_SESSION_KEY,
  hasFlag,
} from './flags.ts';
import { rc4k } from './rc4.ts';

/**
 * The keys of one NTLM session: what the seal uses, and what an endpoint hands to the capture
 * (its key hand-off) so the packet view can unseal on request.
 */
export interface NtlmSessionKeys {
  keyBits: 40 | 56 | 128;
  clientSigningKey: Buffer;
  clientSealingKey: Buffer;
  serverSigningKey: Buffer;
  serverSealingKey: Buffer;
  negotiateFlags: number;
}

/** MS-NLMP §3.4.5.1 KXKEY. NTLMv2 always uses the SessionBaseKey itself. */
export function kxkey(a: {
  flags: number;
  version: 'v1' | 'v2';
  sessionBaseKey: Buffer;
  lmResponse: Buffer;
  serverChallenge: Buffer;
  /** LMOWFv1, needed only for the NTLMv1 LM_KEY and NON_NT_SESSION_KEY variants. */
  lmowf?: Buffer;
}): Buffer {
  if (a.version === 'v2') return a.sessionBaseKey;
  if (hasFlag(a.flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
    return hmacMd5(a.sessionBaseKey, a.serverChallenge, a.lmResponse.subarray(0, 8));
  }
  const lmowf = a.lmowf ?? Buffer.alloc(16);
  const lm8 = a.lmResponse.subarray(0, 8);
  if (hasFlag(a.flags, NTLMSSP_NEGOTIATE_LM_KEY)) {
    return concat(des(lmowf.subarray(0, 7), lm8), des(concat(lmowf.subarray(7, 8), Buffer.alloc(6, 0xbd)), lm8));
  }
  if (hasFlag(a.flags, NTLMSSP_REQUEST_NON_NT_SESSION_KEY)) return concat(lmowf.subarray(0, 8), Buffer.alloc(8));
  return a.sessionBaseKey;
}

/** §3.1.5.1.2: with KEY_EXCH the client sends RC4(KeyExchangeKey, its random session key). */
export function encryptRandomSessionKey(keyExchangeKey: Buffer, randomSessionKey: Buffer): Buffer {
  return rc4k(keyExchangeKey, randomSessionKey);
}

/** §3.2.5.1.2: the server recovers the exported session key (RC4 is its own inverse). */
export const decryptRandomSessionKey = encryptRandomSessionKey;

const MAGIC = {
  clientSign: 'session key to client-to-server signing key magic constant\0',
  serverSign: 'session key to server-to-client signing key magic constant\0',
  clientSeal: 'session key to client-to-server sealing key magic constant\0',
  serverSeal: 'session key to server-to-client sealing key magic constant\0',
} as const;

export type Mode = 'client' | 'server';

/** MS-NLMP §3.4.5.2 SIGNKEY: only extended session security has signing keys (NIL otherwise). */
export function signKey(flags: number, exportedSessionKey: Buffer, mode: Mode): Buffer {
  if (!hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) return Buffer.alloc(0);
  return md5(exportedSessionKey, Buffer.from(mode === 'client' ? MAGIC.clientSign : MAGIC.serverSign, 'latin1'));
}

/**
 * MS-NLMP §3.4.5.3 SEALKEY. With extended session security, a 56-bit session keeps 7 bytes of the
 * exported key and a 40-bit one 5 before the MD5; without it, LM_KEY sessions are weakened by
 * overwriting the tail with constants, and all other NTLMv1 sessions seal with the whole key —
 * and with the same key in both directions.
 */
export function sealKey(flags: number, exportedSessionKey: Buffer, mode: Mode): Buffer {
  if (hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
    const kept = hasFlag(flags, NTLMSSP_NEGOTIATE_128) ? 16 : hasFlag(flags, NTLMSSP_NEGOTIATE_56) ? 7 : 5;
    const magic = Buffer.from(mode === 'client' ? MAGIC.clientSeal : MAGIC.serverSeal, 'latin1');
    return md5(exportedSessionKey.subarray(0, kept), magic);
  }
  if (hasFlag(flags, NTLMSSP_NEGOTIATE_LM_KEY)) {
    return hasFlag(flags, NTLMSSP_NEGOTIATE_56)
      ? concat(exportedSessionKey.subarray(0, 7), Buffer.from([0xa0]))
      : concat(exportedSessionKey.subarray(0, 5), Buffer.from([0xe5, 0x38, 0xb0]));
  }
  return Buffer.from(exportedSessionKey);
}

/**
 * How many secret bits the sealing key really has, per §3.4.5.3: NEGOTIATE_128 / NEGOTIATE_56
 * decide with extended session security or LM_KEY; a plain NTLMv1 session seals with the whole
 * 128-bit key whatever the flags say.
 */
export function negotiatedKeyBits(flags: number): 40 | 56 | 128 {
  const weakened = hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) || hasFlag(flags, NTLMSSP_NEGOTIATE_LM_KEY);
  if (!weakened) return 128;
  if (hasFlag(flags, NTLMSSP_NEGOTIATE_128) && hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) return 128;
  return hasFlag(flags, NTLMSSP_NEGOTIATE_56) ? 56 : 40;
}

/** All four keys of a session (§3.1.5.1.2 / §3.2.5.1.2), in the shape the capture hand-off uses. */
export function deriveSessionKeys(flags: number, exportedSessionKey: Buffer): NtlmSessionKeys {
  return {
    keyBits: negotiatedKeyBits(flags),
    clientSigningKey: signKey(flags, exportedSessionKey, 'client'),
    serverSigningKey: signKey(flags, exportedSessionKey, 'server'),
    clientSealingKey: sealKey(flags, exportedSessionKey, 'client'),
    serverSealingKey: sealKey(flags, exportedSessionKey, 'server'),
    negotiateFlags: flags >>> 0,
  };
}
