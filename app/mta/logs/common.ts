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

/**
 * Each command the server read, with whether it succeeded: its final reply was 2xx (RFC 5321
 * §4.2.1). Replies answer commands in order, also when the client pipelines them (RFC 2920 §3).
 * A 334 or a 354 is not final: the lines the client sends then (AUTH's answers, RFC 4954 §4; the
 * message after DATA) belong to that command. A command with no final reply (the connection went)
 * did not succeed, and neither did a STARTTLS whose handshake failed (`tlsOutcome`).
 */
export function commandOutcomes(s: LogSession): { verb: string; ok: boolean }[] {
  const out: { verb: string; ok: boolean }[] = [];
  const waiting: { verb: string; ok: boolean }[] = [];
  let continuing = false;
  for (const l of s.lines) {
    if (l.dir === 'in') {
      if (continuing) continue;
      const verb = (/^\S+/.exec(l.text)?.[0] ?? '').toUpperCase();
      if (!verb) continue;
      const c = { verb, ok: false };
      out.push(c);
      waiting.push(c);
      continue;
    }
    const m = /^(\d{3})([ -]?)/.exec(l.text);
    // The greeting answers no command; a multi-line reply's last line carries its meaning.
    if (!m || m[2] === '-' || waiting.length === 0) continue;
    const code = Number(m[1]);
    continuing = code === 334 || code === 354;
    if (continuing) continue;
    waiting.shift()!.ok = code >= 200 && code < 300;
  }
  if (tlsOutcome(s) === 'failed') {
    const starttls = out.findLast((c) => c.verb === 'STARTTLS');
    if (starttls) starttls.ok = false;
  }
  return out;
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
