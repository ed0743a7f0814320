/**
 * Exchange Server 5.5's Internet Mail Service log. The IMS wrote its diagnostics logging (the
 * categories on its Diagnostics Logging tab: Initialization/Termination, Addressing, Message
 * Transfer, SMTP Interface Events, Internal Processing, Connections) to the NT event log and,
 * at Medium or Maximum, protocol logs under `exchsrvr\imcdata\log`. No public source gives those
 * files' exact line layout, so this log is RECONSTRUCTED: the categories are the IMS's own, the
 * wording follows the event texts the IMS documentation quotes, and the layout (`MM/DD/YY
 * HH:MM:SS  category  text`) is the lab's. The UI says so above the log.
 */
import type { LogFormatter, LogLine } from './types.ts';
import { byTime, commandOutcomes, recipientsOf, tlsOutcome } from './common.ts';
import { ntTime } from './time.ts';

const CATEGORIES = {
  connections: 'Connections',
  smtp: 'SMTP Interface Events',
  transfer: 'Message Transfer',
  security: 'Security',
} as const;

export const exchange55Log: LogFormatter = (input) => {
  const lines: LogLine[] = [];
  const add = (at: number, category: keyof typeof CATEGORIES, text: string, extra: Partial<LogLine> = {}) =>
    lines.push({ at, text: `${ntTime(at)}  ${CATEGORIES[category].padEnd(22)}  ${text}`, ...extra });

  for (const e of input.outbound) {
    add(e.arrivedAt, 'transfer', `Message ${e.id} from ${e.from} queued for ${recipientsOf(e).join(', ')} (${e.size} bytes)`, { entry: e.id });
    for (const a of e.attempts) {
      const link = { entry: e.id, ...(a.conn ? { conn: a.conn } : {}) };
      // An attempt that never reached a host (no MX, no route) opened no connection: no line says it did.
      if (a.host) add(a.at, 'connections', `Outbound connection to ${a.host} [${a.address ?? '?'}] for message ${e.id}`, link);
      if (a.sealed) add(a.at, 'security', `Windows NT challenge/response authentication succeeded; session encrypted with ${a.keyBits ?? '?'}-bit keys`, link);
      if (a.tls) add(a.at, 'security', `SASL/SSL: ${a.tls.protocol} session started with ${a.host ?? 'the remote host'}`, link);
      if (a.result === 'delivered') add(a.at, 'transfer', `Message ${e.id} delivered to ${a.host ?? 'the remote host'}: ${a.reply ?? '250 OK'}`, link);
      else add(a.at, 'smtp', `Message ${e.id} ${a.result === 'bounced' ? 'returned to sender' : 'will be retried'}: ${a.reason ?? a.reply ?? 'unknown error'}`, link);
    }
    const last = e.attempts.at(-1);
    if (e.bounceId && last) add(last.at, 'transfer', `Non-delivery report ${e.bounceId} generated for ${e.from}`, { entry: e.id });
  }
  for (const s of input.inbound) {
    const link = { conn: s.conn };
    add(s.at, 'connections', `Inbound connection from ${s.client.host ?? 'unknown'} [${s.client.ip}]`, link);
    const tls = tlsOutcome(s);
    if (tls === 'established') add(s.at, 'security', 'SASL/SSL: inbound session started', link);
    if (tls === 'failed') add(s.at, 'security', 'SASL/SSL: inbound handshake failed; connection closed', link);
    const auth = s.lines.findIndex((l) => l.dir === 'in' && /^AUTH NTLM/i.test(l.text));
    if (auth >= 0) {
      const failed = s.lines.some((l) => l.dir === 'out' && /^535\b/.test(l.text));
      add(s.at, 'security', `Windows NT challenge/response logon ${failed ? 'failed' : 'succeeded'} for the connecting host`, link);
    }
    // Commands only: an AUTH exchange's answer lines are AUTH's (commandOutcomes).
    const verbs = commandOutcomes(s).map((c) => c.verb);
    add(s.at, 'smtp', `Inbound session ended after ${verbs.length} commands (${[...new Set(verbs)].join(' ')})`, link);
  }
  return [{
    title: 'Internet Mail Service log', file: 'exchsrvr\\imcdata\\log\\IMC*.LOG', reconstructed: true,
    note: 'Reconstructed: the IMS diagnostics categories are the product\'s own; the line layout is the lab\'s (no public source gives it).',
    lines: byTime(lines),
  }];
};
