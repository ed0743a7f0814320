/**
 * The client side of NTLM, sans-IO (MS-NLMP §3.1.5.1): `negotiate()` gives the NEGOTIATE
 * message, `onChallenge()` turns the server's CHALLENGE into the AUTHENTICATE message and fixes
 * the session keys. The SMTP framing (MS-SMTPNTLM base64 lines) belongs to the caller.
 *
 *   initial ──negotiate()──► negotiate-sent ──onChallenge()──► authenticated
 *                                         └──(bad CHALLENGE)──► failed
 */
import type { NtlmSessionKeys } from './keys.ts';
import { AvId } from './av-pairs.ts';
import {
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_NEGOTIATE_TARGET_INFO,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLM_NEGOTIATE_OEM,
  hasFlag,
  sessionFlags,
} from './flags.ts';
import { deriveSessionKeys, encryptRandomSessionKey, kxkey, negotiatedKeyBits } from './keys.ts';
import { decodeNtlmMessage, encodeAuthenticate, encodeNegotiate } from './messages.ts';
import type { ChallengeMessage } from './messages.ts';
import { fileTime, lmowfv1, ntlmv1Response, ntlmv2Response, ntowfv2 } from './responses.ts';

export type NtCrypto = 'us-128' | 'export-40';

export interface NtlmClientOptions {
  domain: string;
  user: string;
  password: string;
  workstation: string;
  /** Which responses this client computes; NTLM does not negotiate this (MS-NLMP §3.3). */
  responses: 'v1' | 'v2';
  /** The NT crypto build: `export-40` asks for neither NEGOTIATE_128 nor NEGOTIATE_56. */
  crypto: NtCrypto;
  /** Key material: client challenges and the random session key. */
  randomBytes: (n: number) => Buffer;
  /**
   * Lab time (ms since the epoch) for the NTLMv2 timestamp when the CHALLENGE carries no
   * MsvAvTimestamp. Without it the timestamp is zero (the lab's servers do not check it).
   */
  now?: () => number;
}

type ClientState = 'initial' | 'negotiate-sent' | 'authenticated' | 'failed';

export class NtlmClientSession {
  readonly #o: NtlmClientOptions;
  #state: ClientState = 'initial';
  #flags: number | undefined;
  #keys: NtlmSessionKeys | undefined;

  constructor(options: NtlmClientOptions) {
    this.#o = options;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The NEGOTIATE_MESSAGE (MS-NLMP §3.1.5.1.1): SEAL, SIGN, ESS, KEY_EXCH, UNICODE, strength per crypto. */
  negotiate(): Buffer {
    this.#state = 'negotiate-sent';
    return encodeNegotiate({ flags: sessionFlags(this.#o.crypto) });
  }

  /** MS-NLMP §3.1.5.1.2: answer the CHALLENGE with an AUTHENTICATE_MESSAGE. */
  onChallenge(buf: Buffer): { ok: true; authenticate: Buffer } | { ok: false; error: string } {
    if (this.#state !== 'negotiate-sent') return this.#fail(`CHALLENGE received in state ${this.#state}`);
    const decoded = decodeNtlmMessage(buf);
    if (!decoded.ok) return this.#fail(`bad CHALLENGE_MESSAGE: ${decoded.error}`);
    if (decoded.message.type !== 2) return this.#fail(`expected a CHALLENGE_MESSAGE, got type ${decoded.message.type}`);
    const challenge = decoded.message;

    // The session runs on what both sides agreed: the server's answer, within what we asked.
    let flags = (challenge.flags & (sessionFlags(this.#o.crypto) | NTLMSSP_NEGOTIATE_TARGET_INFO)) >>> 0;
    if (hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE)) flags = (flags & ~NTLM_NEGOTIATE_OEM) >>> 0;
    const answer = this.#o.responses === 'v2' ? this.#v2(challenge) : this.#v1(challenge, flags);

    let exported: Buffer = answer.keyExchangeKey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if (hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH)) {
      exported = this.#o.randomBytes(16);
      encryptedRandomSessionKey = encryptRandomSessionKey(answer.keyExchangeKey, exported);
    }
    const authenticate = encodeAuthenticate({
      flags,
      lmResponse: answer.lmResponse,
      ntResponse: answer.ntResponse,
      domain: this.#o.domain,
      user: this.#o.user,
      workstation: this.#o.workstation,
      encryptedRandomSessionKey,
    });
    this.#flags = flags;
    if (hasFlag(flags, NTLMSSP_NEGOTIATE_SIGN) || hasFlag(flags, NTLMSSP_NEGOTIATE_SEAL)) {
      this.#keys = deriveSessionKeys(flags, exported);
    }
    this.#state = 'authenticated';
    return { ok: true, authenticate };
  }

  /** The session keys, once authenticated, when SIGN or SEAL was negotiated. */
  keys(): NtlmSessionKeys | undefined {
    return this.#keys;
  }

  /** The flags both sides agreed on (undefined before the CHALLENGE). */
  negotiatedFlags(): number | undefined {
    return this.#flags;
  }

  sealNegotiated(): boolean {
    return this.#flags !== undefined && hasFlag(this.#flags, NTLMSSP_NEGOTIATE_SEAL);
  }

  keyBits(): 40 | 56 | 128 | undefined {
    return this.#flags === undefined ? undefined : negotiatedKeyBits(this.#flags);
  }

  #v1(challenge: ChallengeMessage, flags: number): { lmResponse: Buffer; ntResponse: Buffer; keyExchangeKey: Buffer } {
    const ess = hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY);
    const r = ntlmv1Response({
      password: this.#o.password,
      serverChallenge: challenge.serverChallenge,
      clientChallenge: this.#o.randomBytes(8),
      ess,
    });
    const keyExchangeKey = kxkey({
      flags, version: 'v1', sessionBaseKey: r.sessionBaseKey, lmResponse: r.lmResponse,
      serverChallenge: challenge.serverChallenge, lmowf: lmowfv1(this.#o.password),
    });
    return { lmResponse: r.lmResponse, ntResponse: r.ntResponse, keyExchangeKey };
  }

  #v2(challenge: ChallengeMessage): { lmResponse: Buffer; ntResponse: Buffer; keyExchangeKey: Buffer } {
    // MS-NLMP §3.1.5.2.1: use the server's timestamp when it sent one.
    const stamp = challenge.targetInfo.find((p) => p.id === AvId.MsvAvTimestamp && p.value.length === 8);
    const r = ntlmv2Response({
      responseKeyNT: ntowfv2(this.#o.password, this.#o.user, this.#o.domain),
      serverChallenge: challenge.serverChallenge,
      clientChallenge: this.#o.randomBytes(8),
      time: stamp?.value ?? (this.#o.now ? fileTime(this.#o.now()) : Buffer.alloc(8)),
      targetInfo: challenge.targetInfoBytes,
    });
    return { lmResponse: r.lmResponse, ntResponse: r.ntResponse, keyExchangeKey: r.sessionBaseKey };
  }

  #fail(error: string): { ok: false; error: string } {
    this.#state = 'failed';
    return { ok: false, error };
  }
}
