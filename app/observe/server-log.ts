/**
 * An organisation's server log in its profile's style: gathers what the server did — its queue
 * entries' attempts and the inbound sessions its listeners logged — into the formatters' plain
 * input (app/mta/logs/), then asks the profile's formatter to word it.
 */
import type { Lab } from '../lab/lab.ts';
import { headerValues } from '../mta/bounce.ts';
import { QueueStore } from '../mta/queue.ts';
import { logFormatter, type LogEntry, type LogInput, type LogSession, type ServerLog } from '../mta/logs/index.ts';
import type { TranscriptLine } from '../mta/outbound/client.ts';

/** The reply to the end of DATA, the one that accepted the message (RFC 5321 §4.1.1.4). */
function finalReply(t: TranscriptLine[]): string | undefined {
  // The last single-line 250 of a delivered session: only QUIT's 221 follows it.
  return t.filter((l) => l.dir === 'in' && /^250 /.test(l.text)).at(-1)?.text;
}

export function logInput(lab: Lab, org: string): LogInput {
  const server = lab.servers.get(org);
  if (!server) throw new Error(`no organisation "${org}"`);
  const store = new QueueStore(lab.ws, org);
  const addressOf = (host?: string) => {
    for (const o of lab.config.orgs) for (const h of o.hosts) if (h.name.toLowerCase() === host?.toLowerCase()) return h.address;
    return undefined;
  };
  const outbound: LogEntry[] = [...server.entries.values()].map((e) => {
    // Entries written before these were kept read them from the bytes, while the queue holds them.
    const message = e.size === undefined ? store.message(e.id) : undefined;
    const fields = message ? headerValues(message, ['Subject', 'Message-ID']) : { Subject: e.subject, 'Message-ID': e.messageId };
    return {
      id: e.id, from: e.from, to: [...e.to], size: e.size ?? message?.length ?? 0, arrivedAt: e.arrivedAt, bounceId: e.bounceId,
      subject: fields.Subject, messageId: fields['Message-ID']?.replace(/^<|>$/g, ''),
      attempts: e.attempts.map((a) => ({
        at: a.at, host: a.host, address: addressOf(a.host), conn: a.conn, result: a.result, reason: a.reason, status: a.status,
        reply: a.result === 'delivered' ? finalReply(a.transcript) : a.diagnostic,
        ...(a.tls ? { tls: { protocol: a.tls.protocol, cipher: a.tls.cipher, verified: a.tls.authenticated === true } } : {}),
        sealed: a.sealed, keyBits: a.keyBits,
        transcript: a.transcript.map((l) => ({ dir: l.dir, text: l.text })),
      })),
    };
  });
  const ownHosts = new Set(server.config.hosts.map((h) => h.name.toLowerCase()));
  const inbound: LogSession[] = [];
  const seen = new Set<string>();
  for (const c of lab.taps.connections.values()) {
    // The host whose listener logged the session (a content scanner answers for the host dialed).
    const host = lab.serverLogHosts.get(c.conn) ?? c.server.host;
    if (seen.has(c.conn) || !ownHosts.has((host ?? '').toLowerCase())) continue;
    const lines = lab.serverLogs.get(c.conn);
    if (!lines) continue;
    seen.add(c.conn);
    inbound.push({ conn: c.conn, at: c.labTime, host: host ?? server.config.hosts[0].name, client: { host: c.client.host, ip: c.client.ip }, lines: lines.map((l) => ({ dir: l.dir, text: l.text })) });
  }
  const first = server.config.hosts[0];
  return { host: first.name, address: first.address, domain: server.domain, outbound, inbound };
}

/**
 * What the log view no longer shows, in words, when the lab's memory bounds let something go
 * (docs/decisions.md, "Bounded memory"): the ring of inbound sessions, the line cap per session,
 * and finished entries' transcripts.
 */
export function retentionNote(lab: Lab, org: string): string | undefined {
  const server = lab.servers.get(org);
  const parts: string[] = [];
  const d = lab.serverLogsDropped;
  const { connections, lines } = lab.serverLogLimits;
  if (d.connections > 0) parts.push(`inbound sessions: only the newest ${connections.toLocaleString('en')} of the lab's are kept (${d.connections.toLocaleString('en')} older ones let go)`);
  else if (d.lines > 0) parts.push(`inbound sessions: at most ${lines.toLocaleString('en')} lines each (${d.lines.toLocaleString('en')} lines let go)`);
  const trimmed = server ? [...server.entries.values()].filter((e) => e.attempts.some((a) => a.transcriptDropped)).length : 0;
  if (trimmed > 0) parts.push(`outbound: ${trimmed.toLocaleString('en')} older finished messages no longer keep their session transcripts`);
  return parts.length ? `Memory limit: ${parts.join('; ')}.` : undefined;
}

export function serverLog(lab: Lab, org: string): { org: string; profile: string; logs: ServerLog[]; retention?: string } {
  const server = lab.servers.get(org);
  if (!server) throw new Error(`no organisation "${org}"`);
  const retention = retentionNote(lab, org);
  return { org, profile: server.config.profile, logs: logFormatter(server.config.profile)(logInput(lab, org)), ...(retention ? { retention } : {}) };
}
