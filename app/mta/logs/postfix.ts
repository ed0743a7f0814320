/**
 * Postfix's `maillog` (syslog) lines, in the formats Postfix documents and writes: qmgr's
 * `from=<…>, size=…, nrcpt=… (queue active)`, smtp's `to=<…>, relay=host[ip]:25, delay=…,
 * delays=…, dsn=…, status=sent|deferred|bounced (…)`, the `… TLS connection established to …` line,
 * smtpd's `connect from` / `disconnect from … commands=N` (Postfix 3.x), bounce's `sender
 * non-delivery notification`. Times are the lab clock; `delays=` has only the queue wait the lab
 * clock knows (the other three are real-time and shown as 0).
 */
import type { LogFormatter, LogLine } from './types.ts';
import { acceptedIds, byTime, commandOutcomes, DSN_DEFAULT, peer, recipientsOf, seconds, tlsOutcome } from './common.ts';
import { pidOf, syslogTime } from './time.ts';

const POSTFIX_ORDER = ['EHLO', 'HELO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'VRFY', 'QUIT'];

export const postfixLog: LogFormatter = (input) => {
  const short = input.host.split('.')[0];
  const lines: LogLine[] = [];
  const add = (at: number, program: string, pid: number, text: string, extra: Partial<LogLine> = {}) =>
    lines.push({ at, text: `${syslogTime(at)} ${short} postfix/${program}[${pid}]: ${text}`, ...extra });

  for (const e of input.outbound) {
    add(e.arrivedAt, 'qmgr', 1001, `${e.id}: from=<${e.from}>, size=${e.size}, nrcpt=${e.to.length} (queue active)`, { entry: e.id });
    for (const a of e.attempts) {
      const pid = pidOf(a.conn, 2000);
      const relay = `${peer(a.host, a.address)}:25`;
      const link = { entry: e.id, ...(a.conn ? { conn: a.conn } : {}) };
      if (a.tls) add(a.at, 'smtp', pid, `${a.tls.verified ? 'Verified' : 'Untrusted'} TLS connection established to ${relay}: ${a.tls.protocol} with cipher ${a.tls.cipher}`, link);
      if (a.result === 'next-mx') {
        // A connection that failed is Postfix's `connect to …: reason`; an MX the sender's policy
        // ruled out before connecting (MTA-STS, RFC 8461 §4.1) was never connected to.
        add(a.at, 'smtp', pid, a.conn ? `connect to ${relay}: ${a.reason ?? 'failed'}` : `${e.id}: host ${relay} not tried: ${a.reason ?? 'ruled out'}`, link);
        continue;
      }
      const status = a.result === 'delivered' ? 'sent' : a.result;
      const why = a.result === 'delivered' ? (a.reply ?? '250 2.0.0 Ok') : (a.reason ?? a.reply ?? 'unknown error');
      const delay = seconds(a.at - e.arrivedAt);
      for (const rcpt of recipientsOf(e)) {
        add(a.at, 'smtp', pid, `${e.id}: to=<${rcpt}>, relay=${relay}, delay=${delay}, delays=${delay}/0/0/0, dsn=${a.status ?? DSN_DEFAULT[a.result]}, status=${status} (${why})`, link);
      }
    }
    const last = e.attempts.at(-1);
    if (e.bounceId && last) add(last.at, 'bounce', pidOf(last.conn, 3000), `${e.id}: sender non-delivery notification: ${e.bounceId}`, { entry: e.id });
    if (last && (last.result === 'delivered' || last.result === 'bounced')) add(last.at, 'qmgr', 1001, `${e.id}: removed`, { entry: e.id });
  }

  for (const s of input.inbound) {
    const pid = pidOf(s.conn, 4000);
    const client = peer(s.client.host, s.client.ip);
    const link = { conn: s.conn };
    add(s.at, 'smtpd', pid, `connect from ${client}`, link);
    const tls = tlsOutcome(s);
    if (tls === 'established') add(s.at, 'smtpd', pid, `Anonymous TLS connection established from ${client}`, link);
    if (tls === 'failed') {
      // Postfix's smtpd on a handshake that did not complete (its tlsmgr and OpenSSL lines aside).
      add(s.at, 'smtpd', pid, `SSL_accept error from ${client}: -1`, link);
      add(s.at, 'smtpd', pid, `lost connection after STARTTLS from ${client}`, link);
    }
    if (s.lines.some((l) => l.dir === 'out' && /^535\b/.test(l.text))) add(s.at, 'smtpd', pid, `warning: ${client}: SASL NTLM authentication failed`, link);
    for (const id of acceptedIds(s)) add(s.at, 'smtpd', pid, `${id}: client=${client}`, link);
    // Postfix 3.x's tally: each command `name=n`, or `name=ok/n` when some failed (4xx/5xx, or a
    // STARTTLS whose handshake failed); unknown commands always fail.
    const commands = commandOutcomes(s);
    const counts = POSTFIX_ORDER.map((v) => {
      const all = commands.filter((c) => c.verb === v);
      return [v, all.filter((c) => c.ok).length, all.length] as const;
    }).filter(([, , n]) => n > 0);
    const unknown = commands.filter((c) => !POSTFIX_ORDER.includes(c.verb)).length;
    const ok = commands.filter((c) => c.ok && POSTFIX_ORDER.includes(c.verb)).length;
    const tally = [
      ...counts.map(([v, good, n]) => `${v.toLowerCase()}=${good === n ? n : `${good}/${n}`}`),
      ...(unknown ? [`unknown=0/${unknown}`] : []),
      `commands=${ok === commands.length ? ok : `${ok}/${commands.length}`}`,
    ].join(' ');
    add(s.at, 'smtpd', pid, `disconnect from ${client} ${tally}`, link);
  }
  return [{ title: 'maillog (syslog, mail facility)', file: '/var/log/maillog', reconstructed: false, lines: byTime(lines) }];
};
