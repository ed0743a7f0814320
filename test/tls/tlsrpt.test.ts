import { describe, expect, it } from 'vitest';
import { parseStsPolicy } from '../../app/tls/mta-sts.ts';
import { buildTlsReport, noPolicy, rfc3339, stsReportPolicy, tlsReportJson, type SessionResult } from '../../app/tls/tlsrpt.ts';

// RFC 8460 §4.8's example report, typed in by hand: this is what the builder must reproduce.
const rfcExample = {
  'organization-name': 'Company-X',
  'date-range': { 'start-datetime': '2016-04-01T00:00:00Z', 'end-datetime': '2016-04-01T23:59:59Z' },
  'contact-info': 'sts-reporting@company-x.example',
  'report-id': '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
  policies: [{
    policy: {
      'policy-type': 'sts',
      'policy-string': ['version: STSv1', 'mode: testing', 'mx: *.mail.company-y.example', 'max_age: 86400'],
      'policy-domain': 'company-y.example',
      'mx-host': ['*.mail.company-y.example'],
    },
    summary: { 'total-successful-session-count': 5326, 'total-failure-session-count': 303 },
    'failure-details': [
      { 'result-type': 'certificate-expired', 'sending-mta-ip': '2001:db8:abcd:0012::1', 'receiving-mx-hostname': 'mx1.mail.company-y.example', 'failed-session-count': 100 },
      {
        'result-type': 'starttls-not-supported', 'sending-mta-ip': '2001:db8:abcd:0013::1', 'receiving-mx-hostname': 'mx2.mail.company-y.example',
        'receiving-ip': '203.0.113.56', 'failed-session-count': 200,
        'additional-information': 'https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported',
      },
      {
        'result-type': 'validation-failure', 'sending-mta-ip': '198.51.100.62', 'receiving-ip': '203.0.113.58',
        'receiving-mx-hostname': 'mx-backup.mail.company-y.example', 'failed-session-count': 3,
        'failure-reason-code': 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED',
      },
    ],
  }],
};

function sessions(): SessionResult[] {
  const parsed = parseStsPolicy('version: STSv1\nmode: testing\nmx: *.mail.company-y.example\nmax_age: 86400\n');
  if (!parsed.ok) throw new Error(parsed.error);
  const policy = stsReportPolicy('company-y.example', parsed.value);
  const out: SessionResult[] = [];
  const push = (n: number, outcome: SessionResult['outcome']) => { for (let i = 0; i < n; i++) out.push({ policy, outcome }); };
  // Interleaved on purpose: the report groups them.
  push(5000, 'success');
  push(100, { resultType: 'certificate-expired', sendingMtaIp: '2001:db8:abcd:0012::1', receivingMxHostname: 'mx1.mail.company-y.example' });
  push(200, {
    resultType: 'starttls-not-supported', sendingMtaIp: '2001:db8:abcd:0013::1', receivingMxHostname: 'mx2.mail.company-y.example',
    receivingIp: '203.0.113.56', additionalInformation: 'https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported',
  });
  push(326, 'success');
  push(3, {
    resultType: 'validation-failure', sendingMtaIp: '198.51.100.62', receivingIp: '203.0.113.58',
    receivingMxHostname: 'mx-backup.mail.company-y.example', failureReasonCode: 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED',
  });
  return out;
}

const input = () => ({
  organizationName: 'Company-X',
  contactInfo: 'sts-reporting@company-x.example',
  reportId: '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
  start: Date.UTC(2016, 3, 1),
  end: Date.UTC(2016, 3, 1, 23, 59, 59),
  sessions: sessions(),
});

describe('buildTlsReport (RFC 8460 §4)', () => {
  it('reproduces the RFC example report from per-session results', () => {
    expect(JSON.parse(tlsReportJson(buildTlsReport(input())))).toEqual(rfcExample);
  });

  it('is deterministic given its inputs', () => {
    expect(tlsReportJson(buildTlsReport(input()))).toBe(tlsReportJson(buildTlsReport(input())));
  });

  it('keeps each policy apart and leaves out failure-details when nothing failed', () => {
    const report = buildTlsReport({ ...input(), sessions: [...sessions().slice(0, 2), { policy: noPolicy('ntsol.example'), outcome: 'success' }] });
    expect(report.policies).toHaveLength(2);
    expect(report.policies[1]).toEqual({
      policy: { 'policy-type': 'no-policy-found', 'policy-domain': 'ntsol.example' },
      summary: { 'total-successful-session-count': 1, 'total-failure-session-count': 0 },
    });
  });

  it('writes RFC 3339 UTC date-times in whole seconds', () => {
    expect(rfc3339(Date.UTC(2026, 10, 28, 9, 0, 0, 999))).toBe('2026-11-28T09:00:00Z');
  });
});
