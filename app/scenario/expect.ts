/**
 * `expect` steps (docs/scenario-format.md, "Expectations"): wait for the message to settle on the lab clock, then check what the
 * scenario claims — outcome, bounce status and diagnostic, what crossed the wire, the transcript.
 * Each failed check says what was expected and what happened, in a trainer's words.
 */
import type { ExpectStep } from './schema.ts';
import type { Lab } from '../lab/lab.ts';
import type { PointRole } from '../capture/tap.ts';
import { formatTranscript } from '../mta/transcript.ts';

export interface CheckResult {
  ok: boolean;
  message: string;
}

const ROLES: Record<ExpectStep['at'], PointRole[] | undefined> = { sender: ['sender'], wire: ['wire'], receiver: ['receiver'], any: undefined };

/** `5.7.*` style patterns for status codes. */
function statusMatches(pattern: string, status: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(status);
}

/** The Status and Diagnostic-Code fields of a DSN (RFC 3464 §2.3). */
export function dsnFields(bounce: Buffer): { status?: string; diagnostic?: string } {
  const text = bounce.toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  return { status: /^Status:\s*(\S+)/im.exec(text)?.[1], diagnostic: /^Diagnostic-Code:\s*(.*)$/im.exec(text)?.[1]?.trim() };
}

export async function checkExpect(lab: Lab, e: ExpectStep): Promise<CheckResult> {
  // A deferral is a settled state (docs/scenario-format.md, "Expectations") unless the step waits for delivery or a bounce:
  // then the clock jumps over retries to the next scheduled event until one of them happens.
  const outcome = await lab.settle(e.message, e.outcome !== 'delivered' && e.outcome !== 'bounced');
  const problems: string[] = [];
  const facts: string[] = [`${e.message} ${outcome}`];
  const entries = lab.entriesOf(e.message);
  const attempts = entries.flatMap((x) => x.attempts);
  const lastError = entries.map((x) => x.lastError).find(Boolean);

  if (e.outcome && outcome !== e.outcome) {
    problems.push(`expected ${e.message} to be ${e.outcome}, but it was ${outcome}${lastError ? ` (last error: ${lastError})` : ''}`);
  }
  if (e.bounce) {
    const sent = lab.messages.get(e.message)!;
    const server = lab.servers.get(sent.org)!;
    const user = sent.from.split('@')[0].toLowerCase();
    const item = server.mailboxes.list(user).find((m) => m.kind === 'bounce' && m.ref === e.message);
    const data = item && server.mailboxes.read(user, item.id);
    if (!data) problems.push(`expected a bounce for ${e.message} in ${sent.from}'s mailbox, but there is none`);
    else {
      const dsn = dsnFields(data);
      facts.push(`bounce Status ${dsn.status}`);
      if (e.bounce.status && !(dsn.status && statusMatches(e.bounce.status, dsn.status))) problems.push(`expected bounce status ${e.bounce.status}, got ${dsn.status ?? 'none'}`);
      if (e.bounce.diagnostic && !dsn.diagnostic?.includes(e.bounce.diagnostic)) problems.push(`expected the bounce's Diagnostic-Code to contain "${e.bounce.diagnostic}", got "${dsn.diagnostic ?? ''}"`);
    }
  }
  if (e.wire) {
    const leaks = lab.leaks(e.message, ROLES[e.at]);
    const where = e.at === 'any' ? 'on any tap' : `at the ${e.at} view`;
    if (e.wire === 'cleartext' && leaks.length === 0) problems.push(`expected ${e.message} readable ${where}, but no canary was found in clear`);
    if (e.wire !== 'cleartext' && leaks.length > 0) {
      const first = leaks[0];
      problems.push(`expected no cleartext ${where}, but the ${first.where} canary of ${e.message} crossed ${first.point} in clear (connection ${first.conn}, ${first.dir})`);
    }
    if (e.wire === 'encrypted') {
      const delivered = attempts.filter((a) => a.result === 'delivered');
      const clear = delivered.filter((a) => !a.tls && !a.sealed);
      if (delivered.length === 0) problems.push(`expected ${e.message} to cross encrypted, but it was never delivered`);
      else if (clear.length > 0) problems.push(`expected ${e.message} to cross encrypted, but the session to ${clear[0].host} was neither TLS nor sealed`);
    }
    facts.push(leaks.length ? `${leaks.length} canary hits in clear` : 'no canary in clear');
  }
  if (e.transcript) {
    const text = attempts.map((a) => formatTranscript(a.transcript)).join('\n');
    for (const needle of [e.transcript.contains ?? []].flat()) if (!text.includes(needle)) problems.push(`expected the transcript to contain "${needle}"`);
    for (const needle of [e.transcript.lacks ?? []].flat()) if (text.includes(needle)) problems.push(`expected the transcript not to contain "${needle}"`);
  }
  if (e.reason !== undefined && !lastError?.includes(e.reason)) {
    problems.push(`expected the queue's last error to contain "${e.reason}", got "${lastError ?? 'none'}"`);
  }
  if (e.downgraded !== undefined) {
    const downgraded = attempts.find((a) => a.downgraded);
    if (e.downgraded && !downgraded) problems.push(`expected ${e.message} to be marked downgraded, but it was not`);
    if (!e.downgraded && downgraded) problems.push(`expected no downgrade, but: ${downgraded.downgraded}`);
  }
  if (e.tlsrpt) {
    const sent = lab.messages.get(e.message)!;
    const domain = sent.to[0].split('@')[1].toLowerCase();
    const report = lab.tlsReport(sent.org, domain);
    const successes = report.policies.reduce((n, p) => n + p.summary['total-successful-session-count'], 0);
    const failures: Record<string, number> = {};
    for (const p of report.policies) for (const f of p['failure-details'] ?? []) failures[f['result-type']] = (failures[f['result-type']] ?? 0) + f['failed-session-count'];
    facts.push(`TLS-RPT to ${domain}: ${successes} successful, failures ${JSON.stringify(failures)}`);
    if (e.tlsrpt.successes !== undefined && successes !== e.tlsrpt.successes) problems.push(`expected ${e.tlsrpt.successes} successful sessions in the TLS-RPT report to ${domain}, got ${successes}`);
    for (const [type, count] of Object.entries(e.tlsrpt.failures ?? {})) {
      if ((failures[type] ?? 0) !== count) problems.push(`expected ${count} "${type}" failures in the TLS-RPT report to ${domain}, got ${failures[type] ?? 0}`);
    }
  }
  if (e.keyBits !== undefined) {
    // The session that delivered decides; otherwise the latest one that negotiated a key.
    const bits = (attempts.find((a) => a.result === 'delivered' && a.keyBits !== undefined) ?? attempts.findLast((a) => a.keyBits !== undefined))?.keyBits;
    if (bits !== e.keyBits) problems.push(`expected a ${e.keyBits}-bit session key, got ${bits === undefined ? 'no NTLM session' : `${bits}-bit`}`);
  }
  if (e.mailbox) {
    const [user, domain] = e.mailbox.includes('@') ? e.mailbox.split('@') : [e.mailbox, undefined];
    const sent = lab.messages.get(e.message)!;
    const rcptDomain = domain ?? sent.to[0].split('@')[1];
    const server = [...lab.servers.values()].find((s) => s.domains.includes(rcptDomain.toLowerCase()));
    if (!server?.mailboxes.list(user).some((m) => m.ref === e.message)) problems.push(`expected ${e.message} in ${user}@${rcptDomain}'s mailbox`);
  }
  return problems.length ? { ok: false, message: problems.join('; ') } : { ok: true, message: facts.join(', ') };
}
