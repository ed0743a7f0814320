/**
 * Exchange Server 2019's logs, in their documented CSV columns:
 * - the message tracking log (`MSGTRK*.LOG`): `date-time, client-ip, client-hostname, server-ip,
 *   server-hostname, source-context, connector-id, source, event-id, internal-message-id,
 *   message-id, network-message-id, recipient-address, recipient-status, total-bytes,
 *   recipient-count, related-recipient-address, reference, message-subject, sender-address, …`
 *   (the first twenty columns; the rest are tenant and diagnostic data the lab does not have),
 *   events RECEIVE, SEND, DEFER, FAIL and DSN;
 * - the Send connector's SMTP protocol log (`SEND*.LOG`): `date-time, connector-id, session-id,
 *   sequence-number, local-endpoint, remote-endpoint, event, data, context` with `+` connect,
 *   `>` sent, `<` received, `*` information, `-` disconnect.
 * `connector-id` is the lab's name for the one Send connector per remote domain.
 */
import type { LogEntry, LogFormatter, LogLine, ServerLog } from './types.ts';
import { byTime, DSN_DEFAULT } from './common.ts';
import { isoTime } from './time.ts';

export const TRACKING_COLUMNS = [
  'date-time', 'client-ip', 'client-hostname', 'server-ip', 'server-hostname', 'source-context', 'connector-id', 'source', 'event-id',
  'internal-message-id', 'message-id', 'network-message-id', 'recipient-address', 'recipient-status', 'total-bytes', 'recipient-count',
  'related-recipient-address', 'reference', 'message-subject', 'sender-address',
];
export const PROTOCOL_COLUMNS = ['date-time', 'connector-id', 'session-id', 'sequence-number', 'local-endpoint', 'remote-endpoint', 'event', 'data', 'context'];

/** RFC 4180: quote a field that holds a comma, a quote or a line break. */
export function csv(fields: string[]): string {
  return fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}

function line(at: number, fields: string[], extra: Partial<LogLine>): LogLine {
  return { at, text: csv(fields), fields, ...extra };
}

function trackingLines(input: Parameters<LogFormatter>[0]): LogLine[] {
  const out: LogLine[] = [];
  const internal = (e: LogEntry) => String(Number.parseInt(e.id.replace(/\D/g, '').slice(-6) || '0', 10));
  const row = (at: number, o: Record<string, string>, extra: Partial<LogLine>) =>
    out.push(line(at, TRACKING_COLUMNS.map((c) => o[c] ?? ''), extra));
  for (const e of input.outbound) {
    const common = {
      'internal-message-id': internal(e), 'message-id': e.messageId ? `<${e.messageId}>` : '', 'network-message-id': e.id,
      'total-bytes': String(e.size), 'recipient-count': String(e.to.length), 'message-subject': e.subject ?? '', 'sender-address': e.from,
    };
    row(e.arrivedAt, { ...common, 'date-time': isoTime(e.arrivedAt), 'server-hostname': input.host, source: 'SMTP', 'event-id': 'RECEIVE', 'recipient-address': e.to.join(';'), 'source-context': '08D0000000000000' }, { entry: e.id });
    for (const a of e.attempts) {
      const event = a.result === 'delivered' ? 'SEND' : a.result === 'bounced' ? 'FAIL' : 'DEFER';
      // The remote reply when there was one; else the local failure, with its enhanced status code.
      const status = a.result === 'delivered' ? (a.reply ?? '250 2.6.0 Queued mail for delivery') : (a.reply ?? `451 ${a.status ?? DSN_DEFAULT[a.result]} ${a.reason ?? ''}`.trim());
      row(a.at, {
        ...common, 'date-time': isoTime(a.at), 'client-ip': input.address, 'client-hostname': input.host, 'server-ip': a.address ?? '', 'server-hostname': a.host ?? '',
        'connector-id': `Send to ${e.to[0]?.split('@')[1] ?? 'remote'}`, source: 'SMTP', 'event-id': event, 'recipient-address': e.to.join(';'), 'recipient-status': status,
      }, { entry: e.id, ...(a.conn ? { conn: a.conn } : {}) });
    }
    const last = e.attempts.at(-1);
    if (e.bounceId && last) {
      row(last.at, { ...common, 'date-time': isoTime(last.at), 'server-hostname': input.host, source: 'DSN', 'event-id': 'DSN', 'recipient-address': e.from, 'related-recipient-address': e.to.join(';'), reference: e.bounceId }, { entry: e.id });
    }
  }
  for (const s of input.inbound) {
    const rcpts = s.lines.filter((l) => l.dir === 'in' && /^RCPT TO:/i.test(l.text)).map((l) => /<([^>]*)>/.exec(l.text)?.[1] ?? '');
    const sender = s.lines.find((l) => l.dir === 'in' && /^MAIL FROM:/i.test(l.text));
    if (!sender) continue;
    row(s.at, {
      'date-time': isoTime(s.at), 'client-ip': s.client.ip, 'client-hostname': s.client.host ?? '', 'server-ip': input.address, 'server-hostname': s.host,
      'connector-id': `${input.host.split('.')[0].toUpperCase()}\\Default Frontend ${input.host.split('.')[0].toUpperCase()}`, source: 'SMTP', 'event-id': 'RECEIVE',
      'recipient-address': rcpts.join(';'), 'recipient-count': String(rcpts.length), 'sender-address': /<([^>]*)>/.exec(sender.text)?.[1] ?? '',
    }, { conn: s.conn });
  }
  return byTime(out);
}

function protocolLines(input: Parameters<LogFormatter>[0]): LogLine[] {
  const out: LogLine[] = [];
  for (const e of input.outbound) {
    for (const a of e.attempts) {
      if (!a.conn) continue;
      const session = `08D${a.conn.replace(/\D/g, '').padStart(13, '0')}`;
      const local = `${input.address}:${49152 + Number(a.conn.replace(/\D/g, '') || 0)}`;
      const remote = `${a.address ?? '0.0.0.0'}:25`;
      const connector = `Send to ${e.to[0]?.split('@')[1] ?? 'remote'}`;
      let seq = 0;
      const add = (event: string, data: string, context = '') => out.push(line(a.at, [isoTime(a.at), connector, session, String(seq++), local, remote, event, data, context], { entry: e.id, conn: a.conn }));
      add('*', '', 'attempting to connect');
      add('+', '', '');
      for (const t of a.transcript) add(t.dir === 'out' ? '>' : t.dir === 'in' ? '<' : '*', t.dir === 'note' ? '' : t.text, t.dir === 'note' ? t.text : '');
      add('-', '', 'Local');
    }
  }
  return out;
}

export const exchange2019Log: LogFormatter = (input) => {
  const tracking: ServerLog = {
    title: 'Message tracking log', file: 'TransportRoles\\Logs\\MessageTracking\\MSGTRK*.LOG', reconstructed: false,
    note: 'The first twenty of the documented columns; tenant and diagnostic columns are left out.',
    columns: TRACKING_COLUMNS, lines: trackingLines(input),
  };
  const protocol: ServerLog = {
    title: 'Send connector protocol log', file: 'TransportRoles\\Logs\\Hub\\ProtocolLog\\SmtpSend\\SEND*.LOG', reconstructed: false,
    columns: PROTOCOL_COLUMNS, lines: protocolLines(input),
  };
  return [tracking, protocol];
};
