/** Small readings of a session both the formatters and their tests share. */
import type { LogEntry, LogSession } from './types.ts';

export const DSN_DEFAULT = { delivered: '2.0.0', deferred: '4.0.0', bounced: '5.0.0', 'next-mx': '4.0.0' } as const;

/** `host[ip]`, Postfix's way of naming a peer (`unknown` when there is no name). */
export function peer(host: string | undefined, ip: string | undefined): string {
  return `${host ?? 'unknown'}[${ip ?? '0.0.0.0'}]`;
}

/** Seconds with at most two decimals, as Postfix prints `delay=`. */
export function seconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return Number.isInteger(s) ? String(s) : String(Math.round(s * 100) / 100);
}

/** Verbs the server read in an inbound session, in order, upper case. */
export function verbsOf(s: LogSession): string[] {
  return s.lines.filter((l) => l.dir === 'in').map((l) => (/^\S+/.exec(l.text)?.[0] ?? '').toUpperCase()).filter(Boolean);
}

/** The session's accepted messages: the queue id the server named after DATA, in order. */
export function acceptedIds(s: LogSession): string[] {
  return s.lines.filter((l) => l.dir === 'out').map((l) => /^250 .*queued as (\S+)/i.exec(l.text)?.[1]).filter((x): x is string => !!x);
}

/**
 * How the session's STARTTLS went: `none` (not asked, or refused), `established` (the server
 * answered `220`, RFC 3207 §4, and the client went on talking: after a handshake it must send
 * EHLO again, §4.2) or `failed` (`220`, then nothing: the handshake did not complete, as when the
 * client speaks only TLS versions the server no longer accepts).
 */
export function tlsOutcome(s: LogSession): 'none' | 'established' | 'failed' {
  const i = s.lines.findIndex((l) => l.dir === 'in' && /^STARTTLS\s*$/i.test(l.text));
  if (i < 0) return 'none';
  const ready = s.lines.findIndex((l, j) => j > i && l.dir === 'out' && l.text.startsWith('220'));
  if (ready < 0) return 'none';
  return s.lines.some((l, j) => j > ready && l.dir === 'in') ? 'established' : 'failed';
}

/** Entries and sessions, as lines sorted by lab time (stable). */
export function byTime<T extends { at: number }>(lines: T[]): T[] {
  return lines.map((l, i) => ({ l, i })).sort((a, b) => a.l.at - b.l.at || a.i - b.i).map((x) => x.l);
}

export function recipientsOf(e: LogEntry): string[] {
  return e.to.length ? e.to : ['unknown'];
}
