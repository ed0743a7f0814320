/**
 * The running lab's exports as files for a front-end (docs/packet-view.md, "What the view shows"): the browser downloads
 * them from `postcard-lab serve` (app/bridge/exports.ts), the desktop app saves them where its
 * Save dialog says (main/engine-host.ts). One list, so both offer the same four.
 *
 *   capture     pcapng with the Decryption Secrets Block (Wireshark opens the TLS with the lab's keys)
 *   keylog      the NSS key log
 *   transcripts every delivery attempt, as the sender saw it and as the receiver got it
 *   report      the scenario's steps so far as the HTML run report
 */
import { exportKeyLog, pcapngBuffer } from '../capture/pcapng.ts';
import { transcriptsText } from '../lab/exports.ts';
import { htmlReport } from '../scenario/reports.ts';
import { ApiFailure, type ApiSession } from './session.ts';

export const EXPORT_KINDS = ['capture', 'keylog', 'transcripts', 'report'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export interface ExportFile {
  /** A file name to offer (`<scenario id>.pcapng`, …). */
  name: string;
  type: string;
  data: Buffer | string;
}

export function isExportKind(kind: unknown): kind is ExportKind {
  return typeof kind === 'string' && (EXPORT_KINDS as readonly string[]).includes(kind);
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * The file for `kind`; throws `no-lab` (ApiFailure) when no lab is running. `point`: the capture
 * of that capture point alone (`not-found` when the lab has no such point).
 */
export function exportFile(session: ApiSession, kind: ExportKind, opts: { point?: string } = {}): ExportFile {
  const lab = session.lab;
  const snapshot = session.snapshot();
  const id = fileSafe(snapshot.scenario?.id ?? 'lab');
  switch (kind) {
    case 'capture': {
      lab.markLeaks();
      const { point } = opts;
      if (point === undefined) return { name: `${id}.pcapng`, type: 'application/x-pcapng', data: pcapngBuffer(lab.capture, lab.capture.allKeys()) };
      if (!lab.capture.capturePoint(point)) {
        throw new ApiFailure('not-found', `no capture point "${point}" in this lab (points: ${lab.capture.points().map((p) => p.id).join(', ') || 'none yet'})`);
      }
      return { name: `${id}-${fileSafe(point)}.pcapng`, type: 'application/x-pcapng', data: pcapngBuffer(lab.capture, lab.capture.allKeys(), { point }) };
    }
    case 'keylog':
      return { name: `${id}-keylog.txt`, type: 'text/plain; charset=utf-8', data: exportKeyLog(lab.capture.allKeys()) };
    case 'transcripts':
      return { name: `${id}-transcripts.txt`, type: 'text/plain; charset=utf-8', data: transcriptsText(lab) };
    case 'report': {
      // Every step of the scenario, run or not: a lab exported part way through (a checkpoint
      // still open, steps not run, or no scenario steps at all) is incomplete, never passed.
      const current = session.current();
      const ran = new Map(current.results.map((r) => [r.index, r]));
      const planned = current.scenario?.steps ?? [];
      const steps = planned.map((s) => {
        const r = ran.get(s.index);
        if (!r) return { index: s.index, kind: s.kind, status: 'skipped' as const, message: 'not run yet', name: s.name };
        // A checkpoint still waiting is not among the finished steps: it reads "not run yet" above.
        return { index: r.index, kind: r.kind, status: r.status === 'pending' ? ('skipped' as const) : r.status, message: r.message, name: r.name };
      });
      const failed = steps.some((s) => s.status === 'failed' || s.status === 'error');
      const complete = steps.length > 0 && steps.every((s) => s.status === 'passed');
      const status = failed ? ('failed' as const) : complete ? ('passed' as const) : ('incomplete' as const);
      const result = { id, file: `${id}.yaml`, title: snapshot.scenario?.title ?? id, status, durationMs: 0, steps, seed: lab.seed };
      return { name: `${id}-report.html`, type: 'text/html; charset=utf-8', data: htmlReport([result]) };
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown export ${String(never)}`);
    }
  }
}
