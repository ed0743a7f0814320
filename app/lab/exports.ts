/**
 * What a finished (or running) lab can hand over as files (docs/packet-view.md, "What the view shows"): the pcapng capture
 * with its Decryption Secrets Block, the NSS key log, each message as `.eml`, each session
 * transcript as text (both views), and the TLS-RPT reports the partners would receive.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './lab.ts';
import type { QueueEntry } from '../mta/queue.ts';
import { writePcapng, exportKeyLog } from '../capture/pcapng.ts';
import { formatTranscript } from '../mta/transcript.ts';

/** Write the lab's capture as pcapng to `file` (leaks flagged first, so the packet view agrees). */
export async function exportPcapng(lab: Lab, file: string, point?: string): Promise<{ bytes: number; packets: number }> {
  lab.markLeaks();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
  });
  const result = await writePcapng(lab.capture, lab.capture.allKeys(), out, point === undefined ? undefined : { point });
  out.end();
  await done;
  return result;
}

/** A capture point's id as a file name: `intellinet-ntsol/sent` → `intellinet-ntsol-sent`. */
export function pointFileName(point: string): string {
  return point.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/**
 * The lab's capture as `<dir>/<id>.pcapng`, every point an interface of its own, and one file per
 * point that saw packets, `<dir>/<id>/<point>.pcapng`. The same segment seen at two points of a
 * path is one TCP stream twice in the first file, which Wireshark's TCP analysis reads as
 * retransmissions; each point's own file opens clean, and two of them are what `infer` takes
 * (docs/packet-view.md, "Export").
 */
export async function exportCaptures(lab: Lab, dir: string, id: string): Promise<string[]> {
  const files = [path.join(dir, `${id}.pcapng`)];
  await exportPcapng(lab, files[0]);
  for (const point of lab.capture.points().filter((p) => p.packets > 0)) {
    const file = path.join(dir, id, `${pointFileName(point.id)}.pcapng`);
    await exportPcapng(lab, file, point.id);
    files.push(file);
  }
  return files;
}

/** One delivery attempt's transcript, both views, as text. */
function attemptText(lab: Lab, entry: QueueEntry, i: number): string {
  const attempt = entry.attempts[i];
  const receiver = attempt.conn ? lab.serverLogs.get(attempt.conn) : undefined;
  return [
    `# ${entry.id} (${entry.ref ?? 'no scenario id'}) attempt ${i + 1} to ${attempt.host ?? '?'}: ${attempt.result}${attempt.conn ? `, connection ${attempt.conn}` : ''}`,
    `# ${new Date(attempt.at).toISOString()}${attempt.reason ? ` — ${attempt.reason}` : ''}`,
    '', '## as the sender saw it', formatTranscript(attempt.transcript),
    ...(receiver ? ['', '## as the receiver got it', formatTranscript(receiver)] : []),
    '',
  ].join('\n');
}

/** Every session transcript of the lab in one text file, queue entry by entry. */
export function transcriptsText(lab: Lab): string {
  const parts: string[] = [];
  for (const server of lab.servers.values()) {
    for (const entry of server.entries.values()) entry.attempts.forEach((_a, i) => parts.push(attemptText(lab, entry, i)));
  }
  return parts.length ? parts.join('\n') : '# no delivery attempts yet\n';
}

const safe = (name: string) => name.replace(/[^A-Za-z0-9._@-]/g, '_');

/** Everything else, as plain files under `dir`. Returns the files written, relative to `dir`. */
export function exportFiles(lab: Lab, dir: string): string[] {
  const written: string[] = [];
  const write = (rel: string, data: string | Buffer) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
    written.push(rel);
  };
  write('keylog.txt', exportKeyLog(lab.capture.allKeys()));
  for (const server of lab.servers.values()) {
    for (const user of server.config.users) {
      for (const item of server.mailboxes.list(user)) {
        const data = server.mailboxes.read(user, item.id);
        if (data) write(`messages/${safe(server.id)}/${safe(user)}/${safe(item.id)}${item.kind === 'bounce' ? '.bounce' : ''}.eml`, data);
      }
    }
    for (const entry of server.entries.values()) {
      entry.attempts.forEach((_attempt, i) => write(`transcripts/${safe(server.id)}/${safe(entry.id)}-${i + 1}.txt`, attemptText(lab, entry, i)));
    }
  }
  const reported = new Set(lab.tlsRpt.map((n) => `${n.org}\n${n.domain}`));
  for (const key of reported) {
    const [org, domain] = key.split('\n');
    write(`tlsrpt/${safe(org)}-to-${safe(domain)}.json`, `${JSON.stringify(lab.tlsReport(org, domain), null, 2)}\n`);
  }
  return written;
}
