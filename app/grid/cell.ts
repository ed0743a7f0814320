/**
 * One grid cell, run: a lab of its own (axes.ts cellLab), one message from Alice to Sean, run until
 * nothing is in flight, then read what happened — the first attempt's outcome (a deferral is final
 * here: the grid asks "does it go through now", not "after the partner fixes it"), whether a
 * canary crossed any tap in clear, and the sender's and receiver's transcripts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, type Lab } from '../lab/lab.ts';
import { exportPcapng } from '../lab/exports.ts';
import { formatTranscript } from '../mta/transcript.ts';
import { cellId, cellLab, type GridCell } from './axes.ts';
import { expectCell, type CellExpectation, type CellOutcome } from './expect.ts';

export interface CellResult {
  cell: GridCell;
  id: string;
  outcome: CellOutcome | 'error';
  /** A canary of the message crossed a tap in clear. */
  leaked: boolean;
  /** How the delivering session was protected. */
  protection: 'tls' | 'sealed' | 'none' | 'not sent';
  reason: string;
  downgraded?: string;
  expected: CellExpectation;
  agrees: boolean;
  /** What disagrees, in words; empty when the cell agrees. */
  mismatch: string;
  transcript: string;
  receiverTranscript: string;
  /** Relative to the export folder, when the run exported captures. */
  pcap?: string;
  durationMs: number;
}

export interface CellOptions {
  seed: number;
  /** Session timeout of the cell's lab (a greeting that never ends waits this long). */
  timeout: string;
  /** Certificates are issued once and shared by every cell. */
  certCache: string;
  keyCache?: string;
  /** Write `<dir>/<cell id>.pcapng`. */
  exportDir?: string;
  /** Where cell workspaces go (run.ts picks a memory file system when there is one). */
  scratch?: string;
}

function observe(lab: Lab, ref: string): Pick<CellResult, 'outcome' | 'leaked' | 'protection' | 'reason' | 'downgraded' | 'transcript' | 'receiverTranscript'> {
  const entries = lab.entriesOf(ref);
  const attempts = entries.flatMap((e) => e.attempts);
  const outcome = lab.outcome(ref);
  const delivered = attempts.find((a) => a.result === 'delivered');
  const last = attempts.at(-1);
  return {
    outcome: outcome === 'pending' ? 'error' : outcome,
    leaked: lab.leaks(ref).length > 0,
    protection: delivered ? (delivered.tls ? 'tls' : delivered.sealed ? 'sealed' : 'none') : 'not sent',
    reason: entries.map((e) => e.lastError).find(Boolean) ?? delivered?.downgraded ?? (delivered ? 'delivered' : last?.reason ?? ''),
    downgraded: attempts.find((a) => a.downgraded)?.downgraded,
    transcript: attempts.map((a) => formatTranscript(a.transcript)).join('\n'),
    receiverTranscript: attempts.map((a) => (a.conn ? formatTranscript(lab.serverLogs.get(a.conn) ?? []) : '')).filter(Boolean).join('\n'),
  };
}

export function compare(expected: CellExpectation, got: Pick<CellResult, 'outcome' | 'leaked' | 'protection'>): string {
  const problems: string[] = [];
  if (got.outcome !== expected.outcome) problems.push(`expected ${expected.outcome}, got ${got.outcome}`);
  if (expected.leak === 'never' && got.leaked) problems.push('a canary crossed in clear, but this level must never leak');
  if (expected.leak === 'always' && !got.leaked) problems.push('expected the message in clear on the wire, but no canary was seen');
  if (expected.protection && got.protection !== expected.protection) problems.push(`expected a ${expected.protection} session, got ${got.protection}`);
  return problems.join('; ');
}

/** `firewall`: a spec replacing the cell's profile (an imported vendor configuration). */
export async function runCell(cell: GridCell, options: CellOptions, firewall?: unknown): Promise<CellResult> {
  const started = performance.now();
  const id = cellId(cell);
  const expected = expectCell(cell, firewall ?? { profile: cell.firewall });
  const workspace = fs.mkdtempSync(path.join(options.scratch ?? os.tmpdir(), 'postcard-grid-'));
  let lab: Lab | undefined;
  let seen: ReturnType<typeof observe>;
  let pcap: string | undefined;
  try {
    lab = await createLab(cellLab(cell, { ...options, firewall }), { seed: options.seed, workspace, certCache: options.certCache, keyCache: options.keyCache });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: `Grid ${id}`, body: 'A message across the grid.' });
    await lab.idle();
    // A sender that gave up (a refused AUTH: `*`, then QUIT without waiting for 221) is done before
    // its last bytes have crossed the relay thread: the verdict and the capture see every session
    // to its end, as a scenario run's exports do.
    await lab.wireClosed();
    seen = observe(lab, 'm1');
    if (options.exportDir) {
      pcap = `${id}.pcapng`;
      await exportPcapng(lab, path.join(options.exportDir, pcap));
      fs.writeFileSync(path.join(options.exportDir, `${id}.txt`), [
        `# ${id}: ${seen.outcome}${seen.leaked ? ', leaked' : ''} — ${seen.reason}`,
        '', '## as the sender saw it', seen.transcript, '', '## as the receiver got it', seen.receiverTranscript, '',
      ].join('\n'));
    }
  } catch (error) {
    seen = { outcome: 'error', leaked: false, protection: 'not sent', reason: (error as Error).message, transcript: '', receiverTranscript: '' };
  } finally {
    await lab?.stop().catch(() => {});
    fs.rmSync(workspace, { recursive: true, force: true });
  }
  const mismatch = compare(expected, seen);
  return { cell, id, ...seen, expected, agrees: mismatch === '', mismatch, pcap, durationMs: Math.round(performance.now() - started) };
}
