/**
 * `load` and `up` (issues 11 and 18): many messages submitted over many sessions through a lab's
 * submission port, as a user's mail client would, into a lab running as `postcard-lab up` runs it
 * (its clock following real time). Reports whether every message was delivered, how many were
 * ever deferred, the throughput, and the process's resident memory: sampled while the run goes
 * (`rssPeakMB`), so a queue or capture that grows without end shows as a peak that grows with
 * the message count, not as a crash.
 *
 *   load  10,000 messages over 50 sessions through the `asa` firewall, capture on (the path taps)
 *   up     2,000 messages over 20 sessions, the postcard lab (direct path)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab } from '../lab/lab.ts';
import { lab as labSchema, type LabConfig } from '../config/lab.ts';
import { benchLab } from './labs.ts';
import { Submitter } from './submitter.ts';
import { perSecond, round, type BenchClock } from './measure.ts';

export interface LoadFigure {
  messages: number;
  sessions: number;
  /** Messages that got 250 from the submission port. */
  accepted: number;
  /** Messages in Sean's mailbox at the end. */
  delivered: number;
  /** Queue entries that had an attempt other than `delivered` (the lab's own overload shows here). */
  deferred: number;
  /** Messages per second, from the first submission to the last delivery. */
  rate: number;
  ms: number;
  rssStartMB: number;
  rssPeakMB: number;
  /** Packets the capture store holds at the end, and those it dropped to stay within its limit. */
  capture: { packets: number; dropped: number };
  /** Most outbound sessions open at once (the queue manager's limit holds). */
  peakSessions: number;
}

export interface LoadOptions {
  messages: number;
  sessions: number;
  via: 'asa' | 'direct';
  clock: BenchClock;
  progress(line: string): void;
}

function loadLab(via: LoadOptions['via']): LabConfig {
  const base = benchLab('plain');
  if (via === 'direct') return base;
  return labSchema.parse({ ...base, paths: [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile: 'asa' } }] });
}

const mb = (bytes: number) => round(bytes / 1024 / 1024);

export async function benchLoad(o: LoadOptions): Promise<LoadFigure> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-bench-load-'));
  const lab = await createLab(loadLab(o.via), { workspace, running: { scale: 1 } });
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const sample = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  try {
    const submission = lab.servers.get('intellinet')!.listeners.find((l) => l.role === 'submission')!.port;
    const sean = lab.servers.get('ntsol')!;
    o.progress(`${o.via === 'asa' ? 'load' : 'up'}: ${o.messages} messages over ${o.sessions} sessions`);
    const started = o.clock.now();
    let next = 0;
    let accepted = 0;
    await Promise.all(Array.from({ length: o.sessions }, async () => {
      const s = await Submitter.open(submission);
      while (next < o.messages) {
        const n = next++;
        const reply = await s.send('alice@intellinet.example', 'sean@ntsol.example',
          `From: alice@intellinet.example\nTo: sean@ntsol.example\nSubject: load ${n}\n\n${'Load test line.\n'.repeat(100)}`);
        if (reply?.startsWith('250')) accepted++;
      }
      s.close();
    }));
    await lab.idle(600_000);
    const ms = o.clock.now() - started;
    const delivered = sean.mailboxes.list('sean').length;
    const entries = [...lab.servers.get('intellinet')!.entries.values()];
    return {
      messages: o.messages, sessions: o.sessions, accepted, delivered,
      deferred: entries.filter((e) => e.attempts.some((a) => a.result !== 'delivered')).length,
      rate: perSecond(delivered, ms), ms: round(ms),
      rssStartMB: mb(rssStart), rssPeakMB: mb(rssPeak),
      capture: { packets: lab.capture.size, dropped: lab.capture.points().reduce((n, p) => n + p.dropped, 0) },
      peakSessions: lab.slots.peak,
    };
  } finally {
    clearInterval(sample);
    await lab.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}
