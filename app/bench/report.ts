/** The human form of a bench report: a few aligned tables (the JSON form is the report itself). */
import type { BenchReport } from './run.ts';
import { methods } from './labs.ts';
import type { TargetCheck } from './targets.ts';

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ').trimEnd());
}

const num = (n: number | null | undefined, digits = 1): string => (n === null || n === undefined ? '—' : n.toFixed(digits));

/** The lowest and highest of a ratio's rounds, "0.412–0.471"; one value when they agree, a dash when none was measured. */
export function spread(rounds: readonly (number | null)[]): string {
  const measured = rounds.filter((r): r is number => r !== null);
  if (measured.length === 0) return '—';
  const low = Math.min(...measured), high = Math.max(...measured);
  return low === high ? num(low, 3) : `${num(low, 3)}–${num(high, 3)}`;
}

const MET: Record<TargetCheck['met'], string> = { goal: 'goal', first: 'first target', no: 'NO' };

/** Where a figure's path relays ran, in words. */
const relaysIn = (on: 'thread' | 'lab'): string => (on === 'thread' ? 'relay thread' : 'lab\'s own thread');

export function formatReport(r: BenchReport): string[] {
  const t0 = r.throughput.plain;
  const s = r.sessions;
  const out = [
    `postcard-lab bench${r.quick ? ' --quick' : ''}: node ${r.node}, ${r.cpus} CPUs`,
    '',
    `Targets (issue 11: each ratio against its baseline in this run${r.quick ? '; a --quick run is too short to judge them' : ''})`,
    ...table([
      ['figure', 'ratio', 'its rounds', 'first target', 'goal', 'met'],
      ...r.targets.map((t) => [t.figure, num(t.ratio, 3), spread(t.rounds), `≥ ${t.first}`, `≥ ${t.goal}`, MET[t.met]]),
    ]),
    `  (its rounds: the lowest and highest ratio of the run's ${r.throughput.plain.rounds.length} rounds in turns; the run's ratio is their whole, not their mean)`,
    '',
    `Throughput, messages/s (${t0.messages} messages of ${t0.size} octets, ${t0.concurrency} in flight; queue to mailbox)`,
    ...table([
      ['method', 'lab', 'baseline', 'lab/baseline', 'via bare relay', 'ceiling', 'delivered', 'fsyncs/msg', 'ms/msg added'],
      ...methods.map((m) => {
        const t = r.throughput[m];
        return [m, num(t.lab), num(t.baseline), num(t.ratio, 3), num(t.baselineViaPipe), num(t.pipeCeiling, 3), `${t.delivered.lab}/${t.messages}`, num(t.fsyncsPerMessage, 2), num(t.msPerMessage.path, 2)];
      }),
    ]),
    `  (via bare relay: the baseline behind a bare TCP relay in the same thread; ceiling = that / baseline, the best a lab with one relay hop in its own thread could reach; the lab's paths ran on the ${relaysIn(r.throughput.plain.relaysOn)})`,
    '',
    'Load through the submission port, lab clock running (delivered / deferred / msg/s / RSS MB start, at half, end, peak / live MB at half, end / bounded / peak sessions)',
    ...table([
      ['run', 'messages', 'sessions', 'delivered', 'deferred', 'msg/s', 'RSS start', 'RSS half', 'RSS end', 'RSS peak', 'live half', 'live end', 'bounded', 'sessions out'],
      ...(['load', 'up'] as const).map((k) => {
        const l = r[k];
        return [k === 'load' ? 'load (asa, capture on)' : 'up (postcard)', String(l.messages), String(l.sessions), String(l.delivered), String(l.deferred), num(l.rate), num(l.rssStartMB), num(l.rssHalfMB), num(l.rssEndMB), num(l.rssPeakMB), num(l.liveHalfMB), num(l.liveEndMB), l.bounded ? 'yes' : 'no', String(l.peakSessions)];
      }),
    ]),
    '',
    `Sessions, sessions/s (connect, greeting, QUIT; ${s.sessions} sessions, ${s.concurrency} at once)`,
    ...table([
      ['target', 'sessions/s', 'ratio', ''],
      ['lab host listener', num(s.lab), '', ''],
      ['bare smtp-server (baseline)', num(s.baseline), num(s.ratio, 3), 'lab / baseline'],
      [`through the lab's path (${relaysIn(s.relaysOn)})`, num(s.viaPath), num(s.ratioPath, 3), 'path / lab'],
      ['through a bare relay', num(s.viaPipe), num(s.pipeCeiling, 3), 'bare relay / lab: the ceiling of one hop in one thread'],
      ['Postfix smtp-sink', num(s.postfixSink), num(s.ratioPostfix, 3), 'lab / smtp-sink'],
    ]),
    ...(s.postfixSkipped ? [`  (no Postfix figure: ${s.postfixSkipped})`] : []),
    '',
    ...(r.grid ? [`Compatibility grid: ${r.grid.cells} cells in ${num(r.grid.seconds)} s, ${num(r.grid.cellsPerSecond, 2)} cells/s (${r.grid.jobs} workers), ${r.grid.agree} as expected`, ''] : []),
    `Start-up of the postcard lab, ms (median of ${r.startMs.runs})`,
    ...table([
      ['cold (empty key cache)', num(r.startMs.cold)],
      ['cached keys', num(r.startMs.cachedKeys)],
      ['cached keys and certificates', num(r.startMs.cachedCerts)],
    ]),
    '',
    'Capture store',
    ...table([
      ['packets', 'filter + first page, ms', 'pcapng export, MB/s', 'bytes/packet'],
      ...(['100k', '1M'] as const).map((k) => {
        const c = r.capture[k];
        return c ? [k, num(c.filterPageMs), num(c.exportMBs), String(c.bytesPerPacket)] : [k, '—', '—', '—'];
      }),
    ]),
    ...(r.capture['1M'] ? [] : ['  (1M: not measured in this run; the full run measures it)']),
    '',
    `Classroom (${r.classroom.seats} seats, one lab each)`,
    ...table([
      ['start per seat, ms (all seats assigned at once)', num(r.classroom.startMsPerSeat)],
      ['start of one seat alone, ms', num(r.classroom.singleStartMs)],
      ['per seat / alone', num(r.classroom.ratio, 3)],
      ['memory per seat, MB (RSS)', num(r.classroom.memoryMBPerSeat)],
      ['heap per seat, MB', num(r.classroom.heapMBPerSeat)],
      [`board events/s (${r.classroom.boardEvents} seat updates)`, num(r.classroom.boardEventsPerSec)],
    ]),
  ];
  return out;
}
