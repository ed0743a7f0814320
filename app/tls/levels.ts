/**
 * The TLS security levels (docs/lab.md, "Outbound security") as one pure decision function, asked at each moment a sending
 * MTA decides something about TLS:
 *
 *   connect ──► EHLO reply ──► STARTTLS reply ──► handshake ──► (MAIL FROM …)
 *      │            │               │                 │  └─ failed ──► handshake-failed
 *      ▼            ▼               ▼                 ▼
 *   connect     starttls        handshake      proceed-encrypted | testing-failure
 *   | defer     | cleartext-downgraded | defer   | defer | reconnect-cleartext (may)
 *
 * First the level's row in the table (level-table.ts: what it must verify) and the DNS facts give an
 * *effective policy* (Postfix's term for what a level becomes for one MX host); then each moment is
 * a small switch over that policy, so a level added to the table needs no case here. Defer texts come
 * from the reply catalogue. Every final decision carries a TLS-RPT note (RFC 8460) for tlsrpt.ts.
 */
import { deferReasons, downgradeReasons, format } from '../smtp/replies.ts';
import { daneCheck, daneState, type TlsaRecord, type ZoneState } from './dane.ts';
import { policyAllowsMx, type StsPolicy } from './mta-sts.ts';
import { resultTypeFor, type PolicyType, type TlsRptResultType } from './tlsrpt.ts';
import { verifyChain, type VerifyResult } from './verify.ts';
import { tlsLevelSpec, type NameMatch, type TlsLevel } from './level-table.ts';

export type { TlsLevel } from './level-table.ts';

export interface DnsFacts {
  /** TLSA records at `_25._tcp.<mx host>` and the DNSSEC state of that lookup. */
  tlsa?: { zone: ZoneState; records: readonly TlsaRecord[] };
  /** The MTA-STS policy in force for the nexthop (fetched or cached: PolicyCache.resolve). */
  mtaSts?: StsPolicy;
}

export interface Destination {
  /** The MX host this connection goes to. */
  mxHost: string;
  /** The recipient domain (Postfix's nexthop). */
  nexthop: string;
  dns: DnsFacts;
}

export type Moment =
  | { moment: 'connect' }
  | { moment: 'ehlo'; starttlsOffered: boolean }
  | { moment: 'starttls-reply'; code: number; text: string }
  | { moment: 'handshake'; chainDer: readonly Buffer[]; trust: readonly string[]; now: number }
  | { moment: 'handshake-failed'; error: string };

export type TlsInput = Destination & Moment;

/** What a TLS-RPT report records about the session (RFC 8460 §4.3). */
export interface RptNote {
  policyType: PolicyType;
  result: 'success' | TlsRptResultType;
  detail?: string;
}

export type TlsDecision =
  | { action: 'connect' }
  | { action: 'starttls' }
  | { action: 'handshake' }
  | { action: 'cleartext-downgraded'; reason: string; rpt: RptNote }
  | { action: 'reconnect-cleartext'; reason: string; rpt: RptNote }
  | { action: 'proceed-encrypted'; authenticated: boolean; detail: string; rpt: RptNote }
  | { action: 'testing-failure'; detail: string; rpt: RptNote }
  | { action: 'defer'; text: string; detail?: string; rpt: RptNote };

/** The TLS-RPT note of a final decision (undefined while the session is still going). */
export function rptOf(decision: TlsDecision): RptNote | undefined {
  return 'rpt' in decision ? decision.rpt : undefined;
}

/** What a level becomes for one destination. */
export type Effective =
  | { tier: 'may'; policyType: PolicyType }
  | { tier: 'encrypt'; policyType: PolicyType }
  | { tier: 'verify'; names: string[]; policyType: PolicyType }
  | { tier: 'dane'; records: readonly TlsaRecord[]; names: string[] }
  | { tier: 'sts-testing'; names: string[]; mxAllowed: boolean }
  | { tier: 'refuse'; text: string; rpt: RptNote };

/** RFC 7672 §2.2: what the TLSA lookup makes of `dane` and `dane-only`. */
function daneEffective(withoutTlsa: 'may' | 'refuse', dest: Destination): Effective {
  const { mxHost, nexthop, dns } = dest;
  const records = dns.tlsa?.records ?? [];
  switch (daneState(records, dns.tlsa?.zone ?? 'insecure')) {
    case 'bogus':
      return { tier: 'refuse', text: format(deferReasons.dnssecBogus, mxHost), rpt: { policyType: 'tlsa', result: 'dnssec-invalid' } };
    case 'usable':
      // RFC 7672 §3.2.2: the MX host name, and the nexthop domain, are reference identifiers.
      return { tier: 'dane', records, names: [mxHost, nexthop] };
    case 'all-unusable':
      // RFC 7672 §2.2: TLS is mandatory, but there is nothing to authenticate with.
      return withoutTlsa === 'may'
        ? { tier: 'encrypt', policyType: 'tlsa' }
        : { tier: 'refuse', text: format(deferReasons.daneNoUsableTlsa, mxHost), rpt: { policyType: 'tlsa', result: 'tlsa-invalid' } };
    case 'none':
      // An unsigned zone or no records: DANE does not apply; `dane` falls back to `may`.
      return withoutTlsa === 'may'
        ? { tier: 'may', policyType: 'no-policy-found' }
        : { tier: 'refuse', text: format(deferReasons.daneNoUsableTlsa, mxHost), rpt: { policyType: 'tlsa', result: 'dane-required' } };
  }
}

/** The reference identifiers a `names` verification checks the certificate against. */
function namesFor(match: readonly NameMatch[], dest: Destination): string[] {
  return match.map((m) => (m === 'mx-host' ? dest.mxHost : m === 'nexthop' ? dest.nexthop : `.${dest.nexthop}`));
}

export function effectivePolicy(level: TlsLevel, dest: Destination): Effective {
  const { mxHost, nexthop, dns } = dest;
  const spec = tlsLevelSpec(level);
  // The configuration schema admits only registered levels; `none` never reaches TLS at all.
  if (!spec) throw new Error(`unknown TLS level ${JSON.stringify(level)}`);
  const v = spec.verification;
  switch (v.kind) {
    case 'none':
      throw new Error(`TLS level ${level} sends plain SMTP: it has no TLS policy`);
    case 'opportunistic':
      return { tier: 'may', policyType: 'no-policy-found' };
    case 'encrypt':
      return { tier: 'encrypt', policyType: 'no-policy-found' };
    case 'names':
      return { tier: 'verify', names: namesFor(v.names, dest), policyType: 'no-policy-found' };
    case 'dane':
      return daneEffective(v.withoutTlsa, dest);
    case 'mta-sts': {
      const policy = dns.mtaSts;
      if (!policy || policy.mode === 'none') return { tier: 'may', policyType: 'no-policy-found' };
      const mxAllowed = policyAllowsMx(policy, mxHost);
      if (policy.mode === 'testing') return { tier: 'sts-testing', names: [mxHost], mxAllowed };
      if (!mxAllowed) {
        return {
          tier: 'refuse',
          text: format(deferReasons.mtaStsMxMismatch, mxHost, nexthop),
          rpt: { policyType: 'sts', result: 'validation-failure', detail: 'MX host not in policy' },
        };
      }
      // RFC 8461 §4.2: a certificate valid for the MX host name, chained to a trusted root.
      return { tier: 'verify', names: [mxHost], policyType: 'sts' };
    }
  }
}

/** docs/lab.md, "Fail closed" (the right-hand column): may a byte of the message cross this hop in cleartext? */
export function isFailClosed(level: TlsLevel, dest: Destination): boolean {
  const tier = effectivePolicy(level, dest).tier;
  return tier === 'encrypt' || tier === 'verify' || tier === 'dane' || tier === 'refuse';
}

const rptType = (e: Effective): PolicyType =>
  e.tier === 'dane' ? 'tlsa' : e.tier === 'sts-testing' ? 'sts' : e.tier === 'refuse' ? e.rpt.policyType : e.policyType;

/** STARTTLS missing or refused: cleartext for opportunistic tiers, defer for mandatory ones. */
function withoutTls(e: Exclude<Effective, { tier: 'refuse' }>, downgrade: string, deferText: string): TlsDecision {
  const rpt: RptNote = { policyType: rptType(e), result: 'starttls-not-supported' };
  switch (e.tier) {
    case 'may':
    case 'sts-testing':
      return { action: 'cleartext-downgraded', reason: downgrade, rpt };
    case 'encrypt':
    case 'verify':
    case 'dane':
      return { action: 'defer', text: deferText, rpt };
  }
}

function afterHandshake(e: Exclude<Effective, { tier: 'refuse' }>, input: TlsInput & { moment: 'handshake' }): TlsDecision {
  const policyType = rptType(e);
  const check = (names: readonly string[]): VerifyResult =>
    verifyChain(input.chainDer, { trust: input.trust, now: input.now, name: names });
  const proceed = (authenticated: boolean, detail: string): TlsDecision =>
    ({ action: 'proceed-encrypted', authenticated, detail, rpt: { policyType, result: 'success' } });
  const notVerified = (result: TlsRptResultType, detail: string): TlsDecision =>
    ({ action: 'defer', text: deferReasons.certNotVerified, detail, rpt: { policyType, result, detail } });
  const testingFailure = (result: TlsRptResultType, detail: string): TlsDecision =>
    ({ action: 'testing-failure', detail, rpt: { policyType, result, detail } });

  switch (e.tier) {
    case 'may':
    case 'encrypt': {
      // Not required, but worth logging (Postfix: "Trusted" / "Untrusted TLS connection").
      const peer = check([input.mxHost]);
      return proceed(false, peer.ok ? `unauthenticated; ${peer.detail}` : `unauthenticated; ${peer.reason}: ${peer.detail}`);
    }
    case 'verify': {
      const peer = check(e.names);
      return peer.ok ? proceed(true, peer.detail) : notVerified(resultTypeFor(peer.reason), `${peer.reason}: ${peer.detail}`);
    }
    case 'dane': {
      const verdict = daneCheck({ records: e.records, zone: 'secure', chainDer: input.chainDer, now: input.now, names: e.names });
      return verdict.ok ? proceed(true, `DANE: matched ${verdict.matched}`) : notVerified('validation-failure', `DANE: ${verdict.reason}`);
    }
    case 'sts-testing': {
      // RFC 8461 §5: in testing mode a failure is reported, and the message delivered anyway.
      if (!e.mxAllowed) return testingFailure('validation-failure', `MX host ${input.mxHost} is not in the MTA-STS policy`);
      const peer = check(e.names);
      return peer.ok ? proceed(true, peer.detail) : testingFailure(resultTypeFor(peer.reason), `${peer.reason}: ${peer.detail}`);
    }
  }
}

export function decideTls(level: TlsLevel, input: TlsInput): TlsDecision {
  const e = effectivePolicy(level, input);
  if (e.tier === 'refuse') return { action: 'defer', text: e.text, rpt: e.rpt };
  const mx = input.mxHost;
  switch (input.moment) {
    case 'connect':
      return { action: 'connect' };
    case 'ehlo':
      return input.starttlsOffered
        ? { action: 'starttls' }
        : withoutTls(e, format(downgradeReasons.notOffered, mx), format(deferReasons.tlsNotOffered, mx));
    case 'starttls-reply': {
      // RFC 3207 §4: 220 means go ahead; anything else (454 TLS not available, …) is a refusal.
      if (input.code === 220) return { action: 'handshake' };
      const reply = `${input.code} ${input.text}`.trim();
      return withoutTls(e, format(downgradeReasons.refused, mx, reply), format(deferReasons.tlsRefused, mx, reply));
    }
    case 'handshake':
      return afterHandshake(e, input);
    case 'handshake-failed': {
      const rpt: RptNote = { policyType: rptType(e), result: 'validation-failure', detail: input.error };
      // docs/lab.md, "Outbound security", `may`: a failed handshake leaves the connection unusable; `may` retries in cleartext on a
      // NEW connection (as Postfix does), the message marked downgraded.
      return e.tier === 'may' || e.tier === 'sts-testing'
        ? { action: 'reconnect-cleartext', reason: format(downgradeReasons.handshake, mx, input.error), rpt }
        : { action: 'defer', text: deferReasons.tlsHandshake, detail: input.error, rpt };
    }
  }
}
