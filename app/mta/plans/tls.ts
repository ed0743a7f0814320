/**
 * Method `tls` (docs/lab.md, "Outbound security"; docs/tls.md): STARTTLS at one of the levels of the security table. The decisions
 * themselves are app/tls/levels.ts's (pure); this plan asks at each moment of the session and
 * remembers what happened — downgrade, authentication, the TLS-RPT note.
 */
import type { Reply } from '../../smtp/wire.ts';
import { replyText } from '../../smtp/wire.ts';
import type { EhloFacts, Failure, SecurityPlan, SecurityStep, TlsInfo } from '../outbound/client.ts';
import { decideTls, rptOf, type Destination, type Moment, type RptNote, type TlsDecision, type TlsLevel } from '../../tls/levels.ts';

export interface TlsPlanOptions {
  level: TlsLevel;
  destination: Destination;
  trust: readonly string[];
  now(): number;
}

export class TlsPlan implements SecurityPlan {
  readonly #o: TlsPlanOptions;
  rpt: RptNote | undefined;
  authenticated = false;
  detail: string | undefined;

  constructor(options: TlsPlanOptions) {
    this.#o = options;
  }

  /** Before connecting: a bogus zone or an MX outside an enforced MTA-STS policy defers at once. */
  beforeConnect(): Failure | undefined {
    const d = this.#decide({ moment: 'connect' });
    return d.action === 'defer' ? { action: 'defer', status: '4.7.5', reason: d.text } : undefined;
  }

  #decide(moment: Moment): TlsDecision {
    const decision = decideTls(this.#o.level, { ...this.#o.destination, ...moment });
    this.rpt = rptOf(decision) ?? this.rpt;
    return decision;
  }

  #step(decision: TlsDecision): SecurityStep {
    switch (decision.action) {
      case 'starttls':
        return { step: 'starttls' };
      case 'cleartext-downgraded':
        return { step: 'proceed', downgraded: decision.reason };
      case 'reconnect-cleartext':
        return { step: 'fail', failure: { action: 'reconnect-cleartext', status: '4.7.0', reason: decision.reason } };
      case 'defer':
        return { step: 'fail', failure: { action: 'defer', status: '4.7.5', reason: decision.detail ? `${decision.text} (${decision.detail})` : decision.text } };
      case 'proceed-encrypted':
      case 'testing-failure':
      case 'connect':
      case 'handshake':
        return { step: 'proceed' };
    }
  }

  afterEhlo(facts: EhloFacts): SecurityStep {
    // Inside TLS: RFC 3207 §4.2 — the new EHLO reply is the one that counts; nothing more to decide.
    if (facts.layer === 'tls') return { step: 'proceed' };
    return this.#step(this.#decide({ moment: 'ehlo', starttlsOffered: facts.esmtp && facts.extensions.has('STARTTLS') }));
  }

  afterTls(info: TlsInfo): { ok: true } | { ok: false; failure: Failure } {
    const d = this.#decide({ moment: 'handshake', chainDer: info.peerChainDer, trust: this.#o.trust, now: this.#o.now() });
    if (d.action === 'proceed-encrypted') {
      this.authenticated = d.authenticated;
      this.detail = d.detail;
      info.authenticated = d.authenticated;
      info.detail = `${d.authenticated ? 'verified' : 'not verified (not required)'}; ${d.detail}`;
      return { ok: true };
    }
    if (d.action === 'testing-failure') {
      this.detail = d.detail;
      info.detail = `MTA-STS testing mode, failure reported and delivery continues: ${d.detail}`;
      return { ok: true };
    }
    if (d.action === 'defer') info.detail = d.detail;
    const step = this.#step(d);
    return step.step === 'fail' ? { ok: false, failure: step.failure } : { ok: true };
  }

  tlsRefused(reply: Reply | undefined, reason: string): SecurityStep {
    if (!reply) return this.#step(this.#decide({ moment: 'handshake-failed', error: reason }));
    return this.#step(this.#decide({ moment: 'starttls-reply', code: reply.code, text: replyText(reply).slice(4) }));
  }

  authChallenge(reply: Reply): { ok: false; failure: Failure } {
    return { ok: false, failure: { action: 'defer', status: '4.7.0', reason: `unexpected AUTH challenge: ${replyText(reply)}` } };
  }

  authResult(): { ok: true; seal: boolean } {
    return { ok: true, seal: false };
  }
}
