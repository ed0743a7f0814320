/**
 * TLS-RPT aggregate reports (RFC 8460 §4): the JSON a sending MTA would mail to the partner's
 * `rua`, built from per-session results. Deterministic: no clock, no randomness; the report id and
 * the date range are inputs, and policies and failure details appear in order of first appearance.
 */
import type { StsPolicy } from './mta-sts.ts';
import { formatTlsa, type TlsaRecord } from './dane.ts';
import type { VerifyFailureReason } from './verify.ts';

export type PolicyType = 'sts' | 'tlsa' | 'no-policy-found';

/** RFC 8460 §4.3: negotiation failures (§4.3.1) and policy failures (§4.3.2). */
export type TlsRptResultType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'tlsa-invalid'
  | 'dnssec-invalid'
  | 'dane-required'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid';

export interface ReportPolicy {
  type: PolicyType;
  /** The Policy Domain (the recipient domain). */
  domain: string;
  /** `policy-string`: the MTA-STS policy lines, or the TLSA records in presentation form. */
  strings?: string[];
  /** `mx-host`: the policy's MX patterns (sts), or the MX host the TLSA records belong to (tlsa). */
  mxHost?: string[];
}

export interface SessionFailure {
  resultType: TlsRptResultType;
  sendingMtaIp: string;
  receivingMxHostname: string;
  receivingMxHelo?: string;
  receivingIp?: string;
  failureReasonCode?: string;
  additionalInformation?: string;
}

export interface SessionResult {
  policy: ReportPolicy;
  /** `success`, or what went wrong. */
  outcome: 'success' | SessionFailure;
}

export interface ReportInput {
  organizationName: string;
  contactInfo: string;
  reportId: string;
  /** Lab time, ms since epoch. */
  start: number;
  end: number;
  sessions: readonly SessionResult[];
}

/** The report as RFC 8460 §4.4 spells it (hyphenated keys). */
export interface TlsReport {
  'organization-name': string;
  'date-range': { 'start-datetime': string; 'end-datetime': string };
  'contact-info': string;
  'report-id': string;
  policies: ReportPolicyEntry[];
}

interface ReportPolicyEntry {
  policy: { 'policy-type': PolicyType; 'policy-string'?: string[]; 'policy-domain': string; 'mx-host'?: string[] };
  summary: { 'total-successful-session-count': number; 'total-failure-session-count': number };
  'failure-details'?: FailureDetail[];
}

interface FailureDetail {
  'result-type': TlsRptResultType;
  'sending-mta-ip': string;
  'receiving-mx-hostname': string;
  'receiving-mx-helo'?: string;
  'receiving-ip'?: string;
  'failed-session-count': number;
  'additional-information'?: string;
  'failure-reason-code'?: string;
}

/** RFC 3339 `date-time` in UTC, whole seconds (§4.4 `start-datetime`). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How a failed PKIX check is reported (§4.3.1). */
export function resultTypeFor(reason: VerifyFailureReason): TlsRptResultType {
  switch (reason) {
    case 'expired':
      return 'certificate-expired';
    case 'name-mismatch':
      return 'certificate-host-mismatch';
    case 'untrusted':
    case 'self-signed':
      return 'certificate-not-trusted';
    case 'not-yet-valid':
      // No dedicated type; §4.3.1 "validation-failure" covers the rest.
      return 'validation-failure';
  }
}

export function stsReportPolicy(domain: string, policy: StsPolicy): ReportPolicy {
  return { type: 'sts', domain, strings: [...policy.lines], mxHost: [...policy.mx] };
}

export function tlsaReportPolicy(domain: string, mxHost: string, records: readonly TlsaRecord[]): ReportPolicy {
  return { type: 'tlsa', domain, strings: records.map(formatTlsa), mxHost: [mxHost] };
}

export function noPolicy(domain: string): ReportPolicy {
  return { type: 'no-policy-found', domain };
}

function failureDetail(f: SessionFailure): FailureDetail {
  const d: FailureDetail = {
    'result-type': f.resultType,
    'sending-mta-ip': f.sendingMtaIp,
    'receiving-mx-hostname': f.receivingMxHostname,
    'failed-session-count': 0,
  };
  if (f.receivingMxHelo !== undefined) d['receiving-mx-helo'] = f.receivingMxHelo;
  if (f.receivingIp !== undefined) d['receiving-ip'] = f.receivingIp;
  if (f.additionalInformation !== undefined) d['additional-information'] = f.additionalInformation;
  if (f.failureReasonCode !== undefined) d['failure-reason-code'] = f.failureReasonCode;
  return d;
}

export function buildTlsReport(input: ReportInput): TlsReport {
  const byPolicy = new Map<string, { entry: ReportPolicyEntry; details: Map<string, FailureDetail> }>();
  for (const session of input.sessions) {
    const p = session.policy;
    const policyKey = JSON.stringify([p.type, p.domain.toLowerCase(), p.strings ?? null, p.mxHost ?? null]);
    let group = byPolicy.get(policyKey);
    if (!group) {
      // Key order as in RFC 8460 §4.4's example.
      const policy: ReportPolicyEntry['policy'] = {
        'policy-type': p.type,
        ...(p.strings ? { 'policy-string': [...p.strings] } : {}),
        'policy-domain': p.domain,
        ...(p.mxHost ? { 'mx-host': [...p.mxHost] } : {}),
      };
      group = {
        entry: { policy, summary: { 'total-successful-session-count': 0, 'total-failure-session-count': 0 } },
        details: new Map(),
      };
      byPolicy.set(policyKey, group);
    }
    if (session.outcome === 'success') {
      group.entry.summary['total-successful-session-count']++;
      continue;
    }
    group.entry.summary['total-failure-session-count']++;
    const detail = failureDetail(session.outcome);
    const detailKey = JSON.stringify(detail);
    const existing = group.details.get(detailKey) ?? detail;
    existing['failed-session-count']++;
    group.details.set(detailKey, existing);
  }
  return {
    'organization-name': input.organizationName,
    'date-range': { 'start-datetime': rfc3339(input.start), 'end-datetime': rfc3339(input.end) },
    'contact-info': input.contactInfo,
    'report-id': input.reportId,
    policies: [...byPolicy.values()].map(({ entry, details }) =>
      details.size > 0 ? { ...entry, 'failure-details': [...details.values()] } : entry,
    ),
  };
}

/** The report as mailed (RFC 8460 §5.3 gzips it; the lab shows it as text). */
export function tlsReportJson(report: TlsReport): string {
  return JSON.stringify(report, null, 2);
}
