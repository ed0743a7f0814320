/**
 * Builds tap events for tests from a conversation script, the way the relay reports them:
 * open, one record per chunk, close. Times advance by 1 ms per chunk.
 */
import type { CapturePoint, Direction, TapConnection, TapEvent, TapRecord } from '../../app/capture/tap.ts';

export type Chunk = [Direction, string | Buffer] | [Direction, string | Buffer, TapRecord['marks']];

export interface ScriptOptions {
  conn?: string;
  point?: string;
  client?: { ip: string; port: number };
  server?: { ip: string; port: number };
  closedBy?: TapConnection['closedBy'];
  /** First record sequence number and start time. */
  seq?: number;
  t?: number;
}

export const POINT: CapturePoint = { id: 'p1', label: 'intellinet → ntsol, direct', path: 'direct', roles: ['sender', 'wire', 'receiver'] };

export function tapScript(chunks: Chunk[], o: ScriptOptions = {}): TapEvent[] {
  const t0 = o.t ?? 0;
  const connection: TapConnection = {
    conn: o.conn ?? 'c1',
    point: o.point ?? POINT.id,
    client: o.client ?? { ip: '192.0.2.10', port: 49152 },
    server: o.server ?? { ip: '198.51.100.25', port: 25 },
    openedAt: t0,
    labTime: Date.UTC(2026, 10, 28, 9),
  };
  const events: TapEvent[] = [{ kind: 'open', connection: { ...connection } }];
  let seq = o.seq ?? 0;
  let t = t0;
  for (const [dir, data, marks] of chunks) {
    t += 1;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const record: TapRecord = { seq: seq++, conn: connection.conn, point: connection.point, dir, t, labTime: connection.labTime + t, bytes };
    if (marks) record.marks = marks;
    events.push({ kind: 'data', record });
  }
  if (o.closedBy !== undefined || chunks.length > 0) {
    events.push({ kind: 'close', connection: { ...connection, closedAt: t + 1, closedBy: o.closedBy ?? 'client' } });
  }
  return events;
}

/** A plain SMTP session (RFC 5321 §D.1 shape) carrying one message. */
export function plainSession(subject = 'Trial results', body = 'Hi Sean, the trial went well.'): Chunk[] {
  return [
    ['s2c', '220 mail.ntsol.example Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready\r\n'],
    ['c2s', 'EHLO mail.intellinet.example\r\n'],
    ['s2c', '250-mail.ntsol.example Hello [192.0.2.10]\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n'],
    ['c2s', 'MAIL FROM:<alice@intellinet.example>\r\n'],
    ['s2c', '250 2.1.0 Sender OK\r\n'],
    ['c2s', 'RCPT TO:<sean@ntsol.example>\r\n'],
    ['s2c', '250 2.1.5 Recipient OK\r\n'],
    ['c2s', 'DATA\r\n'],
    ['s2c', '354 Start mail input; end with <CRLF>.<CRLF>\r\n'],
    ['c2s', `From: Alice <alice@intellinet.example>\r\nTo: Sean <sean@ntsol.example>\r\nSubject: ${subject}\r\nX-Canary: cn-7f3a\r\n\r\n${body}\r\n..leading dot line\r\n.\r\n`],
    ['s2c', '250 2.6.0 Queued mail for delivery\r\n'],
    ['c2s', 'QUIT\r\n'],
    ['s2c', '221 2.0.0 Service closing transmission channel\r\n'],
  ];
}
