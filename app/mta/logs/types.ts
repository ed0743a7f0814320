/**
 * The shapes every server-log formatter takes and gives (docs/lab.md, "Organisations and
 * products": the style of the server's log). A formatter is pure: the lab gathers what its server did (app/observe/server-log.ts),
 * the formatter words it as its product would, keyed by profile name in ./index.ts.
 */

/** One outbound delivery attempt, as the sending server knows it. */
export interface LogAttempt {
  at: number;
  host?: string;
  address?: string;
  conn?: string;
  result: 'delivered' | 'deferred' | 'bounced' | 'next-mx';
  reason?: string;
  /** The reply that decided it (`535 5.7.8 …`), or the final `250` after DATA. */
  reply?: string;
  status?: string;
  tls?: { protocol: string; cipher: string; verified: boolean };
  sealed?: boolean;
  keyBits?: number;
  /** The sender's transcript (`out` sent, `in` received, `note` a remark), for protocol logs. */
  transcript: { dir: 'out' | 'in' | 'note'; text: string }[];
}

/** One queue entry of the sending server. */
export interface LogEntry {
  id: string;
  from: string;
  to: string[];
  size: number;
  subject?: string;
  messageId?: string;
  arrivedAt: number;
  attempts: LogAttempt[];
  /** The queue id of the non-delivery report this entry caused. */
  bounceId?: string;
}

/** One inbound session the server took: what it read (`in`) and answered (`out`). */
export interface LogSession {
  conn: string;
  at: number;
  /** This server's host name (the one the client reached). */
  host: string;
  client: { host?: string; ip: string };
  lines: { dir: 'in' | 'out'; text: string }[];
}

export interface LogInput {
  /** The server's first host name and address. */
  host: string;
  address: string;
  domain: string;
  outbound: LogEntry[];
  inbound: LogSession[];
}

export interface LogLine {
  /** The line as the product writes it (CSV for column logs). */
  text: string;
  at: number;
  /** Column values, for logs with a header of columns. */
  fields?: string[];
  conn?: string;
  entry?: string;
}

export interface ServerLog {
  /** What the product calls this log. */
  title: string;
  /** Where the product keeps it. */
  file: string;
  /** True when no public source gives the exact format and the lab reconstructed it. */
  reconstructed: boolean;
  note?: string;
  columns?: string[];
  lines: LogLine[];
}

export type LogFormatter = (input: LogInput) => ServerLog[];
