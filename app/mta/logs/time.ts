/** Timestamps the products write, on the lab clock (UTC). */
import { MONTHS, pad2, timeOfDay } from '../../base/calendar.ts';

/** RFC 3164 syslog stamp, as Postfix's maillog has it: `Nov 28 09:00:00` (day padded with a space). */
export function syslogTime(t: number): string {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${timeOfDay(d)}`;
}

/** ISO 8601 with milliseconds and `Z`, as Exchange 2019's logs write `date-time`. */
export function isoTime(t: number): string {
  return new Date(t).toISOString();
}

/** `11/28/26 09:00:00`, the US short date NT 4.0 tools printed. */
export function ntTime(t: number): string {
  const d = new Date(t);
  return `${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${pad2(d.getUTCFullYear() % 100)} ${timeOfDay(d)}`;
}

/** A stable process id for a connection (`c7` → 2007), so reruns print the same lines. */
export function pidOf(conn: string | undefined, base: number): number {
  return base + Number(/\d+/.exec(conn ?? '')?.[0] ?? 0);
}
