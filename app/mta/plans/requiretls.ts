/**
 * REQUIRETLS (RFC 8689) on the sending side: a message whose sender asked that it travel only
 * over TLS. Every hop must use TLS with a verified certificate (§4.2.1: DANE or PKIX; the lab
 * uses `verify` unless the domain's own level already authenticates), the next hop must offer the
 * REQUIRETLS extension inside TLS (§4.1), and MAIL FROM carries the `REQUIRETLS` parameter so the
 * requirement travels on. Failures are not retried: the message is returned at once, with 5.7.30
 * when the extension is missing and 5.7.10 when TLS could not be had (§5).
 */
import type { Reply } from '../../smtp/wire.ts';
import type { EhloFacts, Failure, SecurityPlan, SecurityStep, TlsInfo } from '../outbound/client.ts';
import { deferReasons, format } from '../../smtp/replies.ts';
import type { TlsPlan } from './tls.ts';
import { requireTlsLevels, type TlsLevel } from '../../tls/level-table.ts';

/**
 * The level a REQUIRETLS message travels at: the domain's own when it authenticates the server on
 * its own and never falls back to cleartext (the table's `authenticates` and `failsClosed`,
 * app/tls/level-table.ts), else `verify`.
 */
export function requireTlsLevel(own: TlsLevel | undefined): TlsLevel {
  return own !== undefined && requireTlsLevels().includes(own) ? own : 'verify';
}

export class RequireTlsPlan implements SecurityPlan {
  readonly #inner: TlsPlan;
  readonly #peer: string;

  constructor(inner: TlsPlan, peer: string) {
    this.#inner = inner;
    this.#peer = peer;
  }

  /** TLS trouble of any kind returns the message (RFC 8689 §5: 5.7.10 Encryption needed). */
  #bounce(step: SecurityStep): SecurityStep {
    if (step.step === 'proceed' && step.downgraded) return this.#fail(step.downgraded);
    if (step.step === 'fail' && step.failure.action !== 'next-mx') return this.#fail(step.failure.reason);
    return step;
  }

  #fail(reason: string): SecurityStep {
    return { step: 'fail', failure: { action: 'bounce', status: '5.7.10', reason: format(deferReasons.requireTlsNoTls, reason) } };
  }

  afterEhlo(facts: EhloFacts): SecurityStep {
    if (facts.layer === 'tls' && !facts.extensions.has('REQUIRETLS')) {
      return { step: 'fail', failure: { action: 'bounce', status: '5.7.30', reason: format(deferReasons.requireTlsNotSupported, this.#peer) } };
    }
    return this.#bounce(this.#inner.afterEhlo(facts));
  }

  afterTls(info: TlsInfo): { ok: true } | { ok: false; failure: Failure } {
    const verdict = this.#inner.afterTls(info);
    if (verdict.ok) return verdict;
    const step = this.#fail(verdict.failure.reason);
    return { ok: false, failure: (step as { step: 'fail'; failure: Failure }).failure };
  }

  tlsRefused(reply: Reply | undefined, reason: string): SecurityStep {
    const step = this.#inner.tlsRefused(reply, reason);
    // A `reconnect-cleartext` would be a downgrade: not for this message.
    if (step.step === 'fail' && step.failure.action === 'reconnect-cleartext') return this.#fail(step.failure.reason);
    return this.#bounce(step);
  }

  authChallenge(reply: Reply): { ok: true; response: string } | { ok: false; failure: Failure } {
    return this.#inner.authChallenge(reply);
  }

  authResult(reply: Reply): { ok: true; seal: boolean } | { ok: false; failure: Failure } {
    void reply;
    return this.#inner.authResult();
  }
}
