/** Timestamps the products write, on the lab clock (UTC). */
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164 syslog stamp, as Postfix's maillog has it: `Nov 28 09:00:00` (day padded with a space). */
export function syslogTime(t: number): string {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** ISO 8601 with milliseconds and `Z`, as Exchange 2019's logs write `date-time`. */
export function isoTime(t: number): string {
  return new Date(t).toISOString();
}

/** `11/28/26 09:00:00`, the US short date NT 4.0 tools printed. */
export function ntTime(t: number): string {
  const d = new Date(t);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** A stable process id for a connection (`c7` → 2007), so reruns print the same lines. */
export function pidOf(conn: string | undefined, base: number): number {
  return base + Number(/\d+/.exec(conn ?? '')?.[0] ?? 0);
}
