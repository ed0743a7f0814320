/**
 * Challenge responses, MS-NLMP §3.3: the one-way functions of the password (NTOWF, LMOWF) and the
 * NTLMv1 / NTLMv2 responses with their session base keys. Pure functions; the client computes
 * them to answer, the server computes them again to check.
 *
 * What crosses the wire is a response to the server's challenge — never the password (MS-NLMP §3.3).
 */
import { concat, des, desl, hmacMd5, md5, oem, unicode } from './crypto.ts';
import { md4 } from './md4.ts';

/** MS-NLMP §3.3.1 NTOWFv1: MD4 of the UTF-16LE password — the "NT hash". */
export function ntowfv1(password: string): Buffer {
  return md4(unicode(password));
}

const LM_MAGIC = Buffer.from('KGS!@#$%', 'latin1');

/**
 * MS-NLMP §3.3.1 LMOWFv1: the upper-cased OEM password, cut or zero-padded to 14 bytes, as two
 * DES keys over a constant. (A longer password has no LM hash on Windows; the lab truncates, and
 * clients send the NT response twice instead, see `ntlmv1Response`.)
 */
export function lmowfv1(password: string): Buffer {
  const p = Buffer.alloc(14);
  oem(password.toUpperCase()).copy(p, 0, 0, 14);
  return concat(des(p.subarray(0, 7), LM_MAGIC), des(p.subarray(7, 14), LM_MAGIC));
}

/** MS-NLMP §3.3.2 NTOWFv2 (= LMOWFv2): the user name is upper-cased, the domain is not. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return hmacMd5(ntowfv1(password), unicode(user.toUpperCase() + domain));
}

export interface ResponsePair {
  lmResponse: Buffer;
  ntResponse: Buffer;
  sessionBaseKey: Buffer;
}

/**
 * MS-NLMP §3.3.1 ComputeResponse for NTLMv1. With extended session security (`ess`) the client
 * mixes its own challenge in (the "NTLM2 session response"); without it the LM response is the
 * LM hash's answer, or — for passwords over 14 characters, where there is no LM hash — a copy of
 * the NT response (NoLMResponseNTLMv1).
 */
export function ntlmv1Response(a: {
  password: string;
  serverChallenge: Buffer;
  clientChallenge: Buffer;
  ess: boolean;
}): ResponsePair {
  const responseKeyNT = ntowfv1(a.password);
  const sessionBaseKey = md4(responseKeyNT);
  if (a.ess) {
    const ntResponse = desl(responseKeyNT, md5(a.serverChallenge, a.clientChallenge).subarray(0, 8));
    return { ntResponse, lmResponse: concat(a.clientChallenge.subarray(0, 8), Buffer.alloc(16)), sessionBaseKey };
  }
  const ntResponse = desl(responseKeyNT, a.serverChallenge);
  const lmResponse = a.password.length <= 14 ? desl(lmowfv1(a.password), a.serverChallenge) : ntResponse;
  return { ntResponse, lmResponse, sessionBaseKey };
}

/** Windows FILETIME: 100 ns ticks since 1601-01-01, little-endian (MS-DTYP §2.3.3). */
export function fileTime(msSinceEpoch: number): Buffer {
  const out = Buffer.alloc(8);
  const ticks = (BigInt(Math.round(msSinceEpoch)) + 11_644_473_600_000n) * 10_000n;
  out.writeBigUInt64LE(ticks < 0n ? 0n : ticks);
  return out;
}

/**
 * MS-NLMP §3.3.2 ComputeResponse for NTLMv2. `time` is the 8-byte FILETIME, `targetInfo` the
 * CHALLENGE's TargetInfo bytes (the "ServerName" of the spec's pseudocode).
 */
export function ntlmv2Response(a: {
  responseKeyNT: Buffer;
  serverChallenge: Buffer;
  clientChallenge: Buffer;
  time: Buffer;
  targetInfo: Buffer;
}): ResponsePair & { ntProofStr: Buffer } {
  const temp = ntlmv2Temp(a.clientChallenge, a.time, a.targetInfo);
  const ntProofStr = hmacMd5(a.responseKeyNT, a.serverChallenge, temp);
  const lmResponse = concat(hmacMd5(a.responseKeyNT, a.serverChallenge, a.clientChallenge), a.clientChallenge);
  return { ntProofStr, ntResponse: concat(ntProofStr, temp), lmResponse, sessionBaseKey: hmacMd5(a.responseKeyNT, ntProofStr) };
}

/** The NTLMv2_CLIENT_CHALLENGE blob (§2.2.2.7) followed by Z(4), as §3.3.2 hashes it. */
export function ntlmv2Temp(clientChallenge: Buffer, time: Buffer, targetInfo: Buffer): Buffer {
  return concat(Buffer.from([1, 1]), Buffer.alloc(6), time, clientChallenge, Buffer.alloc(4), targetInfo, Buffer.alloc(4));
}
