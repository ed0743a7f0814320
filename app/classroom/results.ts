/**
 * The class results a trainer exports from the board: one row per seat and checkpoint (a seat
 * without a scenario, or a scenario without checkpoints, gets one row), as JSON or CSV (RFC 4180:
 * CRLF line ends, fields with a comma, quote or line break in double quotes, quotes doubled).
 */
import type { ResultRow, SeatView } from '../api/classroom.ts';

const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

export function resultRows(seats: readonly SeatView[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const s of seats) {
    const step = s.step === undefined ? '' : s.step === null ? 'done' : `${s.step.index + 1}/${s.step.total}`;
    const base = { seat: s.seat, name: s.name, scenario: s.scenario?.id ?? '', step, joinedAt: iso(s.joinedAt) };
    if (s.checkpoints.length === 0) {
      rows.push({ ...base, checkpoint: '', outcome: 'not-started', checks: 0, reachedAt: '', doneAt: '', seconds: null });
      continue;
    }
    for (const c of s.checkpoints) {
      const seconds = c.reachedAt !== undefined && c.doneAt !== undefined ? Math.round((c.doneAt - c.reachedAt) / 1000) : null;
      rows.push({ ...base, checkpoint: c.id, outcome: c.state, checks: c.checks, reachedAt: iso(c.reachedAt), doneAt: iso(c.doneAt), seconds });
    }
  }
  return rows;
}

const COLUMNS: (keyof ResultRow)[] = ['seat', 'name', 'scenario', 'step', 'checkpoint', 'outcome', 'checks', 'joinedAt', 'reachedAt', 'doneAt', 'seconds'];

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  // A leading = + - @ would be a formula to a spreadsheet (CSV injection): prefix a quote mark.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function resultsCsv(rows: readonly ResultRow[]): string {
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
}

export function resultsJson(rows: readonly ResultRow[], exportedAt: number): string {
  return `${JSON.stringify({ version: 1, exportedAt: iso(exportedAt), rows }, null, 2)}\n`;
}
