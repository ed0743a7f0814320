/**
 * Method `ntlm` (docs/lab.md, "Outbound security"; docs/ntlm.md): `AUTH NTLM` with the configured logon, SEAL required, then every byte
 * sealed. Fail-closed: the message is only ever sent inside the seal.
 *
 *   EHLO ─► AUTH NTLM <NEGOTIATE> ─► 334 CHALLENGE ─► AUTHENTICATE ─► 235 ─► seal ─► EHLO (sealed) ─► MAIL …
 *
 * The NEGOTIATE goes in the AUTH line itself (the initial-response form, RFC 4954 §4, which
 * MS-SMTPNTLM §3.1.5 allows and which saves a round trip); a server that still answers
 * `334 ntlm supported` gets the NEGOTIATE again on the next line.
 *
 * Outcomes: `535` bounces at once (the logon is wrong; retrying will not fix it). AUTH NTLM not
 * offered, `504`, `500`, SEAL not negotiated, or fewer key bits than `minKeyBits`: defer and retry
 * (the partner may fix its server), bounce when the lifetime ends.
 */
import type { Reply } from '../../smtp/wire.ts';
import { replyText } from '../../smtp/wire.ts';
import type { EhloFacts, Failure, SecurityPlan, SecurityStep, TlsInfo } from '../outbound/client.ts';
import { NtlmClientSession, type NtCrypto } from '../../ntlm/client.ts';
import { deferReasons, format } from '../../smtp/replies.ts';
import type { NtlmSessionKeys } from '../../ntlm/keys.ts';

export interface NtlmPlanOptions {
  logon: { domain: string; user: string; password: string };
  workstation: string;
  responses: 'v1' | 'v2';
  /** Send AUTH NTLM even when EHLO did not offer it (the Exchange 5.5 IMS, KB Q262945). */
  blindAuth?: boolean;
  /** Put the NEGOTIATE on the AUTH line (RFC 4954 §4); false: `AUTH NTLM`, then wait for `334 ntlm supported`. */
  initialResponse?: boolean;
  crypto: NtCrypto;
  minKeyBits?: 40 | 56 | 128;
  peer: string;
  randomBytes(n: number): Buffer;
  now(): number;
}

const defer = (reason: string, reply?: Reply): Failure => ({ action: 'defer', status: reply?.status ?? '4.7.0', reason, reply });

export class NtlmPlan implements SecurityPlan {
  readonly #o: NtlmPlanOptions;
  readonly #client: NtlmClientSession;
  #challenges = 0;

  constructor(options: NtlmPlanOptions) {
    this.#o = options;
    this.#client = new NtlmClientSession({
      domain: options.logon.domain, user: options.logon.user, password: options.logon.password,
      workstation: options.workstation, responses: options.responses, crypto: options.crypto,
      randomBytes: options.randomBytes, now: options.now,
    });
  }

  /** The negotiated strength and keys, once the CHALLENGE was answered. */
  get keyBits(): 40 | 56 | 128 | undefined {
    return this.#client.keyBits();
  }

  get keys(): NtlmSessionKeys | undefined {
    return this.#client.keys();
  }

  afterEhlo(facts: EhloFacts): SecurityStep {
    if (facts.layer === 'sealed') return { step: 'proceed' };
    if (facts.authenticated) {
      // Authenticated without a seal is exactly what this method must never continue with.
      return { step: 'fail', failure: defer(format(deferReasons.sealNotNegotiated, this.#o.peer)) };
    }
    // RFC 4954 §3: AUTH is advertised in the EHLO reply; MS-SMTPNTLM §2.1 names the mechanism NTLM.
    const mechanisms = (facts.extensions.get('AUTH') ?? '').toUpperCase().split(/\s+/);
    const offered = facts.esmtp && mechanisms.includes('NTLM');
    // A modern sender checks the keyword; the IMS sent AUTH NTLM blind (KB Q262945), which is
    // how a PIX's Mailguard came to answer it with `250 OK` (docs/products.md).
    if (!offered && !this.#o.blindAuth) return { step: 'fail', failure: defer(format(deferReasons.authNotOffered, this.#o.peer)) };
    if (this.#o.initialResponse === false) return { step: 'auth', mechanism: 'NTLM' };
    return { step: 'auth', mechanism: 'NTLM', initial: this.#client.negotiate().toString('base64') };
  }

  afterTls(_info: TlsInfo): { ok: true } {
    return { ok: true };
  }

  tlsRefused(_reply: Reply | undefined, reason: string): SecurityStep {
    return { step: 'fail', failure: defer(reason) };
  }

  authChallenge(reply: Reply): { ok: true; response: string } | { ok: false; failure: Failure } {
    this.#challenges++;
    const text = reply.lines.join('').trim();
    // MS-SMTPNTLM §3.1.5.1: "334 ntlm supported" asks for the NEGOTIATE message (again).
    if (!text.startsWith('TlRMTVNTUA') && this.#challenges === 1) return { ok: true, response: this.#client.negotiate().toString('base64') };
    if (this.#challenges > 2) return { ok: false, failure: defer(`unexpected third AUTH challenge from ${this.#o.peer}`, reply) };
    const blob = Buffer.from(text, 'base64');
    const answer = this.#client.onChallenge(blob);
    if (!answer.ok) return { ok: false, failure: defer(`host ${this.#o.peer} sent an unusable NTLM CHALLENGE: ${answer.error}`, reply) };
    // Decided before AUTHENTICATE goes out: never log on to a session that cannot be sealed.
    if (!this.#client.sealNegotiated()) return { ok: false, failure: defer(format(deferReasons.sealNotNegotiated, this.#o.peer)) };
    const bits = this.#client.keyBits() ?? 40;
    if (this.#o.minKeyBits && bits < this.#o.minKeyBits) return { ok: false, failure: defer(format(deferReasons.keyTooWeak, bits, this.#o.minKeyBits)) };
    return { ok: true, response: answer.authenticate.toString('base64') };
  }

  authResult(reply: Reply): { ok: true; seal: boolean } | { ok: false; failure: Failure } {
    if (reply.code === 235) return { ok: true, seal: true };
    if (reply.code >= 200 && reply.code < 300) {
      // A 2xx that is not 235 is no logon at all: something answered in the server's place (a
      // PIX's Mailguard turned AUTH NTLM into NOOP). Nothing was negotiated; send nothing.
      return { ok: false, failure: defer(format(deferReasons.authNotAnswered, this.#o.peer, replyText(reply))) };
    }
    const reason = format(deferReasons.authRejected, this.#o.peer, replyText(reply));
    // RFC 4954 §6: 535 5.7.8 — the credentials are wrong; no retry will make them right.
    if (reply.code === 535) return { ok: false, failure: { action: 'bounce', status: reply.status ?? '5.7.8', reason, reply } };
    return { ok: false, failure: defer(reason, reply) };
  }
}
