/**
 * The grid's reports: JSON (`version: 1`, every cell with its expectation), CSV (one row a cell)
 * and a self-contained HTML page (rows sender → receiver, columns firewall × method, each cell a
 * link to its transcript and capture when the run exported them).
 */
import type { CellResult } from './cell.ts';
import type { GridAxes } from './axes.ts';

export interface GridSummary {
  cells: number;
  agree: number;
  disagree: number;
  durationMs: number;
  cellsPerSecond: number;
  counts: Record<string, number>;
}

export function summarize(results: CellResult[], durationMs: number): GridSummary {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const k = outcomeLabel(r);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  const agree = results.filter((r) => r.agrees).length;
  return { cells: results.length, agree, disagree: results.length - agree, durationMs: Math.round(durationMs), cellsPerSecond: durationMs > 0 ? Number((results.length / (durationMs / 1000)).toFixed(2)) : 0, counts };
}

/** delivered / deferred / bounced / leaked — a delivery in clear is shown as `leaked`. */
export function outcomeLabel(r: Pick<CellResult, 'outcome' | 'leaked'>): string {
  return r.leaked ? 'leaked' : r.outcome;
}

export function gridJson(axes: GridAxes, seed: number, results: CellResult[], summary: GridSummary): string {
  return `${JSON.stringify({ version: 1, seed, axes, summary, cells: results }, null, 2)}\n`;
}

const csvField = (v: string | number | boolean | undefined) => {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function gridCsv(results: CellResult[]): string {
  const head = ['sender', 'receiver', 'firewall', 'method', 'outcome', 'leaked', 'protection', 'expected', 'expected_leak', 'agrees', 'reason', 'mismatch', 'pcap', 'ms'];
  const rows = results.map((r) => [r.cell.sender, r.cell.receiver, r.cell.firewall, r.cell.method, r.outcome, r.leaked, r.protection,
    r.expected.outcome, r.expected.leak, r.agrees, r.reason, r.mismatch, r.pcap, r.durationMs].map(csvField).join(','));
  return `${[head.join(','), ...rows].join('\r\n')}\r\n`;
}

const html = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export function gridHtml(axes: GridAxes, results: CellResult[], summary: GridSummary): string {
  const byKey = new Map(results.map((r) => [`${r.cell.sender}|${r.cell.receiver}|${r.cell.firewall}|${r.cell.method}`, r]));
  const head1 = axes.firewalls.map((f) => `<th colspan="${axes.methods.length}">${html(f)}</th>`).join('');
  const head2 = axes.firewalls.map(() => axes.methods.map((m) => `<th>${html(m)}</th>`).join('')).join('');
  const rows = axes.senders.flatMap((s) => axes.receivers.map((rc) => {
    const tds = axes.firewalls.map((f) => axes.methods.map((m) => {
      const r = byKey.get(`${s}|${rc}|${f}|${m}`);
      if (!r) return '<td></td>';
      const label = outcomeLabel(r);
      const title = `${r.id}: ${label} — ${r.reason}${r.agrees ? '' : ` — DISAGREES: ${r.mismatch}`}`;
      const text = { delivered: 'D', deferred: 'd', bounced: 'B', leaked: 'L', error: '!' }[label] ?? '?';
      const inner = r.pcap ? `<a href="${html(r.id)}.txt">${text}</a> <a href="${html(r.pcap)}" title="capture">⬇</a>` : text;
      return `<td class="${label}${r.agrees ? '' : ' bad'}" title="${html(title)}">${inner}</td>`;
    }).join('')).join('');
    return `<tr><th>${html(s)} → ${html(rc)}</th>${tds}</tr>`;
  })).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Postcard Lab grid: ${summary.agree}/${summary.cells} as expected</title>
<style>body{font:13px system-ui,sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 4px;text-align:center}
td.delivered{background:#cfe9d6}td.deferred{background:#fbeec1}td.bounced{background:#f3c9c9}td.leaked{background:#f2a2a2;font-weight:bold}td.error{background:#ccc}
td.bad{outline:3px solid #c00}</style></head>
<body><h1>Compatibility grid: ${summary.agree} of ${summary.cells} cells as expected</h1>
<p>D delivered (protected) · L leaked (delivered in clear) · d deferred · B bounced · ${summary.cellsPerSecond} cells/s</p>
<table><thead><tr><th rowspan="2">sender → receiver</th>${head1}</tr><tr>${head2}</tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
