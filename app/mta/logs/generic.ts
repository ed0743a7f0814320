/**
 * The `generic` profile has no product behind it: its log is the lab's own, one RFC 5424-style
 * line per event (`timestamp host program: text`), and says so.
 */
import type { LogFormatter, LogLine } from './types.ts';
import { byTime, recipientsOf } from './common.ts';
import { isoTime } from './time.ts';

export const genericLog: LogFormatter = (input) => {
  const lines: LogLine[] = [];
  const add = (at: number, text: string, extra: Partial<LogLine>) => lines.push({ at, text: `${isoTime(at)} ${input.host} smtp: ${text}`, ...extra });
  for (const e of input.outbound) {
    add(e.arrivedAt, `${e.id} queued from=<${e.from}> to=${recipientsOf(e).map((r) => `<${r}>`).join(',')} size=${e.size}`, { entry: e.id });
    for (const a of e.attempts) add(a.at, `${e.id} ${a.result} host=${a.host ?? '?'}${a.tls ? ` tls=${a.tls.protocol}` : ''}${a.sealed ? ` ntlm-sealed=${a.keyBits}` : ''}${a.reason ? ` reason="${a.reason}"` : ''}`, { entry: e.id, ...(a.conn ? { conn: a.conn } : {}) });
  }
  for (const s of input.inbound) add(s.at, `session ${s.conn} from ${s.client.host ?? s.client.ip} [${s.client.ip}] ${s.lines.filter((l) => l.dir === 'in').length} commands`, { conn: s.conn });
  return [{ title: 'Lab server log', file: '(lab)', reconstructed: true, note: 'The generic profile is no product; this is the lab\'s own format.', lines: byTime(lines) }];
};
