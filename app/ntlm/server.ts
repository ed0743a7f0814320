/**
 * The server side of NTLM, sans-IO (MS-NLMP §3.2.5.1): `onNegotiate()` answers with a
 * CHALLENGE, `onAuthenticate()` checks the response against the account's password and fixes the
 * session keys. Accounts live on this server (docs/ntlm.md, "Who gets in"); the server knows the password, so it
 * recomputes the response the client should have sent — the password itself never crosses.
 *
 *   initial ──onNegotiate()──► challenge-sent ──onAuthenticate()──► done
 */
import type { NtlmSessionKeys } from './keys.ts';
import { AvId, avName } from './av-pairs.ts';
import type { NtCrypto } from './client.ts';
import { desl, hmacMd5, md5, sameBytes } from './crypto.ts';
import {
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_NTLM,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_NEGOTIATE_TARGET_INFO,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLMSSP_TARGET_TYPE_DOMAIN,
  NTLM_NEGOTIATE_OEM,
  hasFlag,
  sessionFlags,
} from './flags.ts';
import { decryptRandomSessionKey, deriveSessionKeys, kxkey, negotiatedKeyBits } from './keys.ts';
import { decodeNtlmMessage, encodeChallenge } from './messages.ts';
import type { AuthenticateMessage } from './messages.ts';
import { md4 } from './md4.ts';
import { lmowfv1, ntowfv1, ntowfv2 } from './responses.ts';

export interface NtAccount {
  domain: string;
  user: string;
  password: string;
}

export interface NtlmServerOptions {
  /** This server's NT domain: the TargetName, and the domain of an AUTHENTICATE with none. */
  ntDomain: string;
  /** NetBIOS name of this server, sent in TargetInfo. */
  serverName: string;
  /** `export-40` supports neither NEGOTIATE_128 nor NEGOTIATE_56: sessions fall to 40 bits. */
  crypto: NtCrypto;
  /**
   * LMCompatibilityLevel as a domain controller applies it: 0-3 accept LM, NTLM and NTLMv2
   * responses (NT 4.0's default); 4 refuses LM; 5 refuses LM and NTLM (NTLMv2 only).
   */
  lmCompatibility: number;
  randomBytes: (n: number) => Buffer;
  /** The account's password, if there is one. See `accountLookup` for the usual table. */
  lookupAccount(domain: string, user: string): { password: string } | undefined;
}

export type ResponseKind = 'lm' | 'ntlm' | 'ntlm2-session' | 'ntlmv2';

export type AuthenticateResult =
  | {
      ok: true;
      identity: { domain: string; user: string; workstation: string };
      keys?: NtlmSessionKeys;
      sealNegotiated: boolean;
      keyBits: 40 | 56 | 128;
      /** Which response the client sent (what an eavesdropper could try to crack). */
      response: ResponseKind;
      flags: number;
    }
  | { ok: false; reason: 'unknown-account' | 'bad-response' | 'v1-refused' | 'malformed'; detail: string };

type ServerState = 'initial' | 'challenge-sent' | 'done';

/** Accounts looked up case-insensitively by domain and user, as NT compares them. */
export function accountLookup(accounts: readonly NtAccount[]): NtlmServerOptions['lookupAccount'] {
  return (domain, user) => accounts.find((a) => a.domain.toUpperCase() === domain.toUpperCase() && a.user.toUpperCase() === user.toUpperCase());
}

export class NtlmServerSession {
  readonly #o: NtlmServerOptions;
  #state: ServerState = 'initial';
  #challengeFlags = 0;
  #serverChallenge: Buffer = Buffer.alloc(8);

  constructor(options: NtlmServerOptions) {
    this.#o = options;
  }

  get state(): ServerState {
    return this.#state;
  }

  /** MS-NLMP §3.2.5.1.1: the CHALLENGE grants what the client asked and this server supports. */
  onNegotiate(buf: Buffer): { ok: true; challenge: Buffer } | { ok: false; error: string } {
    if (this.#state !== 'initial') return { ok: false, error: `NEGOTIATE received in state ${this.#state}` };
    const decoded = decodeNtlmMessage(buf);
    if (!decoded.ok) return { ok: false, error: `bad NEGOTIATE_MESSAGE: ${decoded.error}` };
    if (decoded.message.type !== 1) return { ok: false, error: `expected a NEGOTIATE_MESSAGE, got type ${decoded.message.type}` };
    const asked = decoded.message.flags;
    let flags = (asked & sessionFlags(this.#o.crypto)) >>> 0;
    // One character set: Unicode when the client can, else OEM (§3.2.5.1.1).
    flags = hasFlag(asked, NTLMSSP_NEGOTIATE_UNICODE) ? (flags & ~NTLM_NEGOTIATE_OEM) | NTLMSSP_NEGOTIATE_UNICODE : flags | NTLM_NEGOTIATE_OEM;
    flags = (flags | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_TARGET_TYPE_DOMAIN | NTLMSSP_NEGOTIATE_TARGET_INFO) >>> 0;
    this.#challengeFlags = flags;
    this.#serverChallenge = this.#o.randomBytes(8);
    this.#state = 'challenge-sent';
    // No MsvAvTimestamp: an NT 4.0-era server sends none, so clients send no MIC (docs/ntlm.md, "Negotiation").
    const challenge = encodeChallenge({
      flags,
      serverChallenge: this.#serverChallenge,
      targetName: this.#o.ntDomain,
      targetInfo: [avName(AvId.MsvAvNbDomainName, this.#o.ntDomain), avName(AvId.MsvAvNbComputerName, this.#o.serverName)],
    });
    return { ok: true, challenge };
  }

  /** MS-NLMP §3.2.5.1.2: check the response, recover the exported session key. */
  onAuthenticate(buf: Buffer): AuthenticateResult {
    if (this.#state !== 'challenge-sent') return { ok: false, reason: 'malformed', detail: `AUTHENTICATE received in state ${this.#state}` };
    this.#state = 'done';
    const decoded = decodeNtlmMessage(buf);
    if (!decoded.ok) return { ok: false, reason: 'malformed', detail: decoded.error };
    const m = decoded.message;
    if (m.type !== 3) return { ok: false, reason: 'malformed', detail: `expected an AUTHENTICATE_MESSAGE, got type ${m.type}` };
    if (m.user === '' && m.ntResponse.length === 0) return { ok: false, reason: 'unknown-account', detail: 'anonymous logon refused' };

    // docs/ntlm.md, "Who gets in": an empty domain means this server's own NT domain.
    const domain = m.domain === '' ? this.#o.ntDomain : m.domain;
    const account = this.#o.lookupAccount(domain, m.user);
    if (!account) return { ok: false, reason: 'unknown-account', detail: `no account ${domain}\\${m.user}` };

    const flags = (m.flags & this.#challengeFlags) >>> 0;
    const check = this.#checkResponse(m, flags, account.password);
    if (!check.ok) return check;

    const keyExchangeKey = kxkey({
      flags, version: check.kind === 'ntlmv2' ? 'v2' : 'v1', sessionBaseKey: check.sessionBaseKey,
      lmResponse: m.lmResponse, serverChallenge: this.#serverChallenge, lmowf: lmowfv1(account.password),
    });
    let exported: Buffer = keyExchangeKey;
    if (hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH)) {
      if (m.encryptedRandomSessionKey.length !== 16) {
        return { ok: false, reason: 'malformed', detail: 'KEY_EXCH negotiated but no 16-byte EncryptedRandomSessionKey' };
      }
      exported = decryptRandomSessionKey(keyExchangeKey, m.encryptedRandomSessionKey);
    }
    const signOrSeal = hasFlag(flags, NTLMSSP_NEGOTIATE_SIGN) || hasFlag(flags, NTLMSSP_NEGOTIATE_SEAL);
    return {
      ok: true,
      identity: { domain, user: m.user, workstation: m.workstation },
      keys: signOrSeal ? deriveSessionKeys(flags, exported) : undefined,
      sealNegotiated: hasFlag(flags, NTLMSSP_NEGOTIATE_SEAL),
      keyBits: negotiatedKeyBits(flags),
      response: check.kind,
      flags,
    };
  }

  #checkResponse(m: AuthenticateMessage, flags: number, password: string):
    | { ok: true; kind: ResponseKind; sessionBaseKey: Buffer }
    | { ok: false; reason: 'bad-response' | 'v1-refused' | 'malformed'; detail: string } {
    const sc = this.#serverChallenge;
    const level = this.#o.lmCompatibility;
    const who = `${m.domain || this.#o.ntDomain}\\${m.user}`;
    const nt = m.ntResponse;
    if (nt.length > 24) {
      // NTLMv2 (§3.3.2): NTProofStr ‖ blob; the key hashes the domain exactly as the client sent it.
      if (nt.length < 16 + 28) return { ok: false, reason: 'malformed', detail: `NTLMv2 response of ${nt.length} bytes is too short` };
      const key = ntowfv2(password, m.user, m.domain);
      const proof = hmacMd5(key, sc, nt.subarray(16));
      if (!sameBytes(proof, nt.subarray(0, 16))) return { ok: false, reason: 'bad-response', detail: `NTLMv2 response for ${who} does not match` };
      return { ok: true, kind: 'ntlmv2', sessionBaseKey: hmacMd5(key, proof) };
    }
    if (nt.length === 24) {
      if (level >= 5) return { ok: false, reason: 'v1-refused', detail: `NTLM (v1) response from ${who} refused: LM compatibility level ${level} accepts NTLMv2 only` };
      const ntowf = ntowfv1(password);
      const ess = hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) && m.lmResponse.length >= 8;
      const challenge = ess ? md5(sc, m.lmResponse.subarray(0, 8)).subarray(0, 8) : sc;
      if (!sameBytes(desl(ntowf, challenge), nt)) return { ok: false, reason: 'bad-response', detail: `NTLM response for ${who} does not match` };
      return { ok: true, kind: ess ? 'ntlm2-session' : 'ntlm', sessionBaseKey: md4(ntowf) };
    }
    if (nt.length === 0 && m.lmResponse.length === 24) {
      if (level >= 4) return { ok: false, reason: 'v1-refused', detail: `LM response from ${who} refused: LM compatibility level ${level}` };
      if (!sameBytes(desl(lmowfv1(password), sc), m.lmResponse)) return { ok: false, reason: 'bad-response', detail: `LM response for ${who} does not match` };
      return { ok: true, kind: 'lm', sessionBaseKey: md4(ntowfv1(password)) };
    }
    return { ok: false, reason: 'malformed', detail: `NtChallengeResponse of ${nt.length} bytes` };
  }
}
