/**
 * Server-log formatters by profile name (docs/lab.md, "Organisations and products": the profile decides the style of the server's
 * log). A profile without its own formatter falls back to `generic`. Register a new product's
 * formatter here under its profile name.
 */
import type { LogFormatter } from './types.ts';
import { postfixLog } from './postfix.ts';
import { exchange2019Log } from './exchange-2019.ts';
import { exchange55Log } from './exchange-5.5.ts';
import { genericLog } from './generic.ts';

export type { LogAttempt, LogEntry, LogFormatter, LogInput, LogLine, LogSession, ServerLog } from './types.ts';

const formatters = new Map<string, LogFormatter>([
  ['postfix', postfixLog],
  ['exchange-2019', exchange2019Log],
  ['exchange-5.5', exchange55Log],
  ['generic', genericLog],
]);

export function registerLogFormatter(profile: string, formatter: LogFormatter): void {
  if (formatters.has(profile)) throw new Error(`a log formatter for profile "${profile}" is already registered`);
  formatters.set(profile, formatter);
}

export function logFormatter(profile: string): LogFormatter {
  return formatters.get(profile) ?? genericLog;
}

export function logProfiles(): string[] {
  return [...formatters.keys()];
}
