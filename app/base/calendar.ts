/**
 * The calendar words and fields every timestamp the lab writes is made of, in UTC on the lab
 * clock: RFC 5322 §3.3 dates (app/smtp/dates.ts), the products' log stamps (app/mta/logs/time.ts),
 * a firewall's syslog (app/observe/firewall.ts) and `postcard-lab queue`'s mailq times. English
 * abbreviations, as those formats define them, whatever the machine's locale.
 */
export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** A field of two digits: `09`. */
export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** The time of day in UTC, `09:00:00`: the same in every stamp above. */
export function timeOfDay(d: Date): string {
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}
