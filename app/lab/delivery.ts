/**
 * Outbound delivery for one queue entry (RFC 5321 §5.1): look up the MX hosts (or the security
 * entry's `via` host), and for each in preference order open a session through the path's relay
 * under the domain's security plan, until one delivers or fails for good.
 *
 *   entry ─► security entry ─► MX list ─► for each host: relay ─► SmtpClientSession(plan) ─► outcome
 */
import type { MailServer, DeliveryOutcome } from '../mta/server.ts';
import type { Attempt, QueueEntry } from '../mta/queue.ts';
import type { Timers } from '../base/timers.ts';
import type { MessageSource } from '../base/journal.ts';
import type { TapLog } from '../capture/tap.ts';
import type { RptNote } from '../tls/levels.ts';
import type { SimDns } from './dns.ts';
import type { LabSecurity } from './security.ts';
import type { RelayInfo } from './topology.ts';
import { SmtpClientSession } from '../mta/outbound/client.ts';
import { runClientSession } from '../mta/outbound/connection.ts';
import { replyText } from '../smtp/wire.ts';
import { lookupSecurity } from '../mta/security.ts';
import { deferReasons, format } from '../smtp/replies.ts';
import { plainSession, preparePlan, type PreparedPlan } from '../mta/plans/index.ts';
import { parseTlsa, type TlsaRecord } from '../tls/dane.ts';
import { tlsLevelSpec } from '../tls/level-table.ts';
import { hostRefusal, middleboxCause, type CauseTaps } from './middlebox-cause.ts';
import { LabError } from '../base/errors.ts';

/**
 * What delivery needs of the lab, and nothing more: the lab clock and real-time timers, name
 * service, the sending organisation's server, the relay towards a host, the taps (to hand session
 * keys to the capture and read what a middlebox did), the PKI and MTA-STS cache, and two notes it
 * leaves (which session sends which entry, the TLS-RPT results). The lab builds one
 * (`Lab.#deliveryContext`); a test may build its own.
 */
export interface DeliveryContext {
  readonly clock: { now(): number };
  readonly timers: Timers;
  /** How long a session waits for a reply or a connection (settings.timeout, default 30 s). */
  readonly sessionTimeoutMs: number;
  readonly dns: Pick<SimDns, 'mx' | 'a' | 'tlsa'>;
  server(org: string): Pick<MailServer, 'config' | 'product'> | undefined;
  /** The recording relay a session from `fromOrg` to `host` goes through; undefined when no path reaches the host. */
  relayTo(fromOrg: string, host: string): RelayInfo | undefined;
  readonly taps: Pick<TapLog, 'connByClientPort' | 'addKeys'> & CauseTaps;
  readonly security: Pick<LabSecurity, 'mtaStsPolicy' | 'pki'>;
  /** A session of `source` runs from this loopback port until the returned function is called. */
  noteSession(localPort: number, relayPort: number, source: MessageSource): () => void;
  recordTlsRpt(org: string, domain: string, host: string, note: RptNote): void;
}

type Sender = NonNullable<ReturnType<DeliveryContext['server']>>;

/** TLSA records of an MX host as the sender's resolver returns them (RFC 7672 §2.2). */
function tlsaFacts(lab: DeliveryContext, host: string): { zone: 'secure' | 'insecure' | 'bogus'; records: TlsaRecord[] } {
  const r = lab.dns.tlsa(host);
  const records = r.ok ? r.answers.map((a) => parseTlsa(a)).filter((p) => p.ok).map((p) => (p as { ok: true; record: TlsaRecord }).record) : [];
  return { zone: r.dnssec, records };
}

async function runSession(lab: DeliveryContext, server: Sender, entry: QueueEntry, message: Buffer, host: string, peer: string, relay: RelayInfo, prepared: PreparedPlan, onAccepted: () => void, downgraded?: string) {
  const scanner = relay.endsAtScanner;
  const at = lab.clock.now();
  // The sender's product decides the era's habits: no EHLO after the NTLM layer, RET=FULL (app/products/).
  const habits = server.product.ntlm;
  const session = new SmtpClientSession({
    heloName: server.config.hosts[0].name, from: entry.from, to: entry.to, message, plan: prepared.plan, peer, mailParams: prepared.mailParams,
    reEhloAfterSeal: habits.reEhloAfterAuth, ...(habits.dsnRet ? { dsnRet: habits.dsnRet } : {}), ...(habits.dsnNotify ? { dsnNotify: habits.dsnNotify } : {}),
  });
  if (scanner) {
    // docs/lab.md, "Fail closed": the promise of this policy covers the hops up to the first relay; say so.
    session.transcript.push({ dir: 'note', layer: 'clear', text: `this session ends at the content scanner ${scanner}: the message goes on from there under the scanner's own policy` });
  }
  if (downgraded) session.transcript.push({ dir: 'note', layer: 'clear', text: `new connection in cleartext: ${downgraded}` });
  let localPort = 0;
  let forget = () => {};
  const result = await runClientSession(session, {
    host: '127.0.0.1', port: relay.port, timers: lab.timers, upgrades: prepared.upgrades,
    timeoutMs: lab.sessionTimeoutMs,
    onConnected: (p) => {
      localPort = p;
      forget = lab.noteSession(p, relay.port, { org: entry.org, id: entry.id });
    },
    onAccepted,
  });
  forget();
  const conn = lab.taps.connByClientPort(localPort, relay.port);
  const report = prepared.report();
  if (conn && (report.tlsKeyLog.length || report.ntlmKeys)) lab.taps.addKeys(conn, { tlsKeyLog: report.tlsKeyLog, ntlm: report.ntlmKeys });
  if (report.rpt) lab.recordTlsRpt(entry.org, entry.domain, host, report.rpt);
  const base = {
    at, host, conn, transcript: session.transcript, downgraded: downgraded ?? result.downgraded, sealed: result.sealed,
    keyBits: report.keyBits, tls: result.tls ? report.tls : undefined,
    ...(result.causeLine !== undefined ? { causeLine: result.causeLine } : {}),
  };
  if (result.delivered) {
    const refused = result.recipients.filter((r) => !r.accepted).map((r) => ({ address: r.address, diagnostic: r.reply ? replyText(r.reply) : 'refused', status: r.reply?.status ?? '5.1.1' }));
    return { attempt: { ...base, result: 'delivered', diagnostic: result.dataReply ? replyText(result.dataReply) : undefined } as Attempt, refused, failure: undefined };
  }
  let failure = result.failure!;
  // The lab saw both sides of the path: when a middlebox broke the session, say so (issue 17);
  // when the host itself refused the connection, say that, as an MTA does, and try the next MX
  // (RFC 5321 §5.1) — the sender met the relay, not the host, so it only saw its connection drop.
  const refusal = failure.broken && conn && result.phase === 'greeting' ? hostRefusal(lab.taps, conn) : undefined;
  const byBox = middleboxCause(lab.taps, relay.path, conn, session.transcript, failure, peer);
  const told = byBox ?? refusal;
  if (told) {
    const note = session.transcript.findLastIndex((l) => l.dir === 'note' && l.text === `${failure.action}: ${failure.reason}`);
    const action = byBox ? failure.action : 'next-mx';
    if (note >= 0) session.transcript[note] = { ...session.transcript[note], text: `${action}: ${told}` };
    failure = { ...failure, action, reason: told, ...(byBox ? {} : { status: '4.4.1' }) };
  }
  const mapped = failure.action === 'bounce' ? 'bounced' : failure.action === 'defer' ? 'deferred' : 'next-mx';
  return { attempt: { ...base, result: mapped, reason: failure.reason, status: failure.status, diagnostic: failure.reply ? replyText(failure.reply) : undefined } as Attempt, failure, refused: undefined };
}

export async function deliver(lab: DeliveryContext, entry: QueueEntry, message: Buffer, onAccepted: () => void = () => {}): Promise<DeliveryOutcome> {
  const server = lab.server(entry.org);
  if (!server) throw new LabError(`deliver: no server for organisation ${entry.org}`);
  // No entry: the product's own default (Exchange 2019 tries STARTTLS everywhere), else in clear.
  const security = lookupSecurity(server.config.security, entry.domain)
    ?? (server.product.defaultOutbound ? { domain: entry.domain, ...server.product.defaultOutbound } : undefined);
  const attempts: Attempt[] = [];
  const now = () => lab.clock.now();
  let hosts: string[];
  if (security?.via) hosts = [security.via];
  else {
    const mx = lab.dns.mx(entry.domain);
    if (!mx.ok) {
      const permanent = mx.error === 'NXDOMAIN';
      const reason = permanent ? format(deferReasons.noMx, `${entry.domain}: type=MX: Host not found`) : `Host or domain name not found. Name service error for name=${entry.domain} type=MX: ${mx.error === 'SERVFAIL' ? 'DNSSEC validation failed' : 'no data'}`;
      const status = permanent ? '5.1.2' : '4.4.3';
      attempts.push({ at: now(), result: permanent ? 'bounced' : 'deferred', reason, status, transcript: [] });
      return { attempts, result: permanent ? 'bounced' : 'deferred', reason, status };
    }
    hosts = mx.answers.map((a) => a.host);
  }
  const sts = security?.method === 'tls' && security.level && tlsLevelSpec(security.level)?.verification.kind === 'mta-sts' ? (await lab.security.mtaStsPolicy(entry.org, entry.domain)).policy : undefined;
  let last: DeliveryOutcome = { attempts, result: 'deferred', reason: 'no MX host could be reached', status: '4.4.1' };
  for (const host of hosts) {
    const relay = lab.relayTo(entry.org, host);
    const address = lab.dns.a(host);
    const peer = `${host}[${address.ok ? address.answers[0] : '?'}]`;
    if (!relay) {
      const reason = format(deferReasons.connectFailed, peer, 'No route to host');
      attempts.push({ at: now(), host, result: 'next-mx', reason, status: '4.4.1', transcript: [] });
      last = { attempts, result: 'deferred', reason, status: '4.4.1' };
      continue;
    }
    const prepared = preparePlan({
      sender: server.config, security, requireTls: entry.requireTls, host, peer, nexthop: entry.domain,
      dns: { tlsa: tlsaFacts(lab, host), mtaSts: sts }, trust: [lab.security.pki.trustStorePem()],
      now: () => lab.clock.now(), timers: lab.timers,
    });
    const refusal = prepared.beforeConnect?.();
    const refusedRpt = refusal && prepared.report().rpt;
    if (refusedRpt) lab.recordTlsRpt(entry.org, entry.domain, host, refusedRpt);
    if (refusal) {
      attempts.push({ at: now(), host, result: 'next-mx', reason: refusal.reason, status: refusal.status, transcript: [] });
      last = { attempts, result: 'deferred', reason: refusal.reason, status: refusal.status };
      continue;
    }
    let outcome = await runSession(lab, server, entry, message, host, peer, relay, prepared, onAccepted);
    if (outcome.failure?.action === 'reconnect-cleartext') {
      // `may` (docs/lab.md, "Outbound security"): the handshake broke the connection; a new one, in cleartext, marked downgraded.
      attempts.push(outcome.attempt);
      outcome = await runSession(lab, server, entry, message, host, peer, relay, plainSession(), onAccepted, outcome.failure.reason);
    }
    attempts.push(outcome.attempt);
    const a = outcome.attempt;
    if (a.result === 'next-mx') {
      last = { attempts, result: 'deferred', reason: a.reason, status: a.status, diagnostic: a.diagnostic, remoteMta: host };
      continue;
    }
    return { attempts, result: a.result, reason: a.reason, status: a.status, diagnostic: a.diagnostic, remoteMta: host, refused: outcome.refused };
  }
  return last;
}
