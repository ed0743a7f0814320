import { DAYS, MONTHS, pad2, timeOfDay } from '../base/calendar.ts';

/** RFC 5322 §3.3 date-time, in UTC: `Sat, 28 Nov 2026 09:00:00 +0000`. (Every message's Date and Received header: no closures made per call.) */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${timeOfDay(d)} +0000`;
}
