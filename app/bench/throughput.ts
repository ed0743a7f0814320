/**
 * `throughput.<method>` of `bench --json` (docs/bench.md): messages per second the lab moves from Intellinet's queue
 * into Sean's mailbox at NT Solutions, against the baseline (baseline.ts) in the same run.
 *
 * Both sides run the same window: at most `concurrency` messages in flight, the next one starting
 * as soon as one settles. Before the timed runs each side sends `warmup` messages untimed, so
 * neither pays for the JIT or the first TLS context alone. Then they take turns: four rounds,
 * each sending a quarter of the messages through the baseline, the baseline behind a bare TCP
 * relay (pipe-relay.ts: what one more hop costs any relay on Node's `net`), and the lab.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, type Lab, type SentMessage } from '../lab/lab.ts';
import { createRng } from '../base/rng.ts';
import { flushStats } from '../base/journal.ts';
import { benchLab, type Method } from './labs.ts';
import { benchBody, composeStep, messageId, sendStep } from './messages.ts';
import { sendDirect, startBaselineServer, type TlsMaterial } from './baseline.ts';
import { startPipeRelay } from './pipe-relay.ts';
import { inTurns, perSecond, ratio, round, roundRatios, runWindow, type BenchClock } from './measure.ts';

export interface ThroughputOptions {
  messages: number;
  size: number;
  concurrency: number;
  warmup: number;
  clock: BenchClock;
  progress(line: string): void;
}

export interface ThroughputFigure {
  messages: number;
  size: number;
  /** Messages per second, lab and baseline; `ratio` = lab / baseline. */
  lab: number;
  baseline: number;
  ratio: number | null;
  /** `ratio` in each round of the turns (docs/bench.md): how far it moved while the run lasted. */
  rounds: (number | null)[];
  /**
   * The baseline behind a bare TCP relay (messages per second), and `baselineViaPipe / baseline`:
   * the ratio a lab would reach that added one relay hop and nothing else (docs/bench.md).
   */
  baselineViaPipe: number;
  pipeCeiling: number | null;
  /** Where the lab's path relays ran: the relay thread (docs/decisions.md), or the lab's own thread. */
  relaysOn: 'thread' | 'lab';
  concurrency: number;
  /** Timed messages that arrived: in Sean's mailbox (lab), accepted with 250 (baseline, and behind the bare relay). */
  delivered: { lab: number; baseline: number; baselineViaPipe: number };
  ms: { lab: number; baseline: number };
  /** Flushes to disk per timed lab message (journals and atomic writes): the durable store's cost. */
  fsyncsPerMessage: number;
  /** Milliseconds per message: lab, baseline, and `path`, what the lab adds (lab − baseline). */
  msPerMessage: { lab: number; baseline: number; path: number };
}

/** Resolves when every queue entry of a sent message has settled: true when all were delivered. */
function settler(lab: Lab): { settled(sent: SentMessage): Promise<boolean>; close(): void } {
  const waiting = new Map<string, (ok: boolean) => void>();
  const unsubscribe = lab.events.subscribe((event) => {
    if (event.type !== 'mail.delivered' && event.type !== 'mail.bounced' && event.type !== 'mail.deferred') return;
    const done = waiting.get(event.entry.id);
    if (!done) return;
    waiting.delete(event.entry.id);
    // A deferred entry would wait for a retry on the lab clock, which the bench never advances.
    done(event.type === 'mail.delivered');
  });
  return {
    // Delivery needs network I/O, so no entry can settle before send() has returned its ids.
    settled: async (sent) => (await Promise.all(sent.entryIds.map((id) => new Promise<boolean>((r) => waiting.set(id, r))))).every(Boolean),
    close: unsubscribe,
  };
}

/** Wall milliseconds per message at the run's concurrency, and the difference the lab makes. */
function perMessage(labMs: number, baseMs: number, messages: number): ThroughputFigure['msPerMessage'] {
  const lab = labMs / messages, baseline = baseMs / messages;
  return { lab: Math.round(lab * 1000) / 1000, baseline: Math.round(baseline * 1000) / 1000, path: Math.round((lab - baseline) * 1000) / 1000 };
}

function tlsMaterial(lab: Lab, method: Method): TlsMaterial | undefined {
  if (method !== 'starttls') return undefined;
  const host = lab.config.orgs[1].hosts[0].name.toLowerCase();
  const cert = lab.security.certs.get(host);
  if (!cert) throw new Error(`the lab issued no certificate for ${host}`);
  // The same TLS versions and ciphers the lab's host offers (Postfix's >=TLSv1 for Exchange 5.5's TLS 1.0).
  const { minVersion, maxVersion, ciphers } = lab.security.inboundOptions(lab.servers.get(lab.config.orgs[1].id)!, host);
  const versions = { ...(minVersion ? { minVersion } : {}), ...(maxVersion ? { maxVersion } : {}), ...(ciphers ? { ciphers } : {}) };
  return { keyPem: cert.keyPem, chainPem: cert.chainPem, trustPem: lab.security.pki.trustStorePem(), versions };
}

export async function benchThroughput(method: Method, o: ThroughputOptions): Promise<ThroughputFigure> {
  const config = benchLab(method);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-bench-'));
  const lab = await createLab(config, { workspace });
  const watch = settler(lab);
  try {
    const date = lab.clock.now();
    const body = benchBody(o.size, date);
    const rng = createRng(lab.seed).fork('bench-baseline');
    const tls = tlsMaterial(lab, method);
    const server = await startBaselineServer(method, config, tls);
    const pipe = await startPipeRelay(server.port);
    try {
      const direct = (prefix: 'b' | 'w', port = server.port) => (i: number) => {
        const step = sendStep(messageId(prefix, i), body);
        return sendDirect(port, { from: step.from, to: Array.isArray(step.to) ? step.to : [step.to], message: composeStep(step, date, rng) }, method, config, date, tls);
      };
      const viaLab = (prefix: 'b' | 'w') => (i: number) => watch.settled(lab.send(sendStep(messageId(prefix, i), body)));

      await runWindow(o.warmup, o.concurrency, direct('w'));
      await runWindow(o.warmup, o.concurrency, direct('w', pipe.port));
      await runWindow(o.warmup, o.concurrency, viaLab('w'));
      await lab.idle();
      const acceptedBefore = server.accepted();

      o.progress(`throughput ${method}: baseline, baseline behind a bare relay, and lab, ${o.messages} messages each, in turns`);
      // The bare smtp-server does not write to disk: every flush from here on is the lab's.
      const fsyncsBefore = flushStats.fsyncs;
      let pipedAccepted = 0;
      // In turns (docs/bench.md): each round sends its share through the baseline, the bare relay
      // and the lab, so drift on the machine falls on every side of the ratios alike.
      const [base, piped, viaLabRun] = await inTurns(o.messages, o.clock, [
        { run: (share, from) => runWindow(share, o.concurrency, (i) => direct('b')(from + i)) },
        {
          run: async (share, from) => {
            const before = server.accepted();
            const sent = await runWindow(share, o.concurrency, (i) => direct('b', pipe.port)(from + i));
            pipedAccepted += server.accepted() - before;
            return sent;
          },
        },
        { run: (share, from) => runWindow(share, o.concurrency, (i) => viaLab('b')(from + i)), after: () => lab.idle() },
      ]);
      const baseAccepted = server.accepted() - acceptedBefore - pipedAccepted;
      // The lazily flushed outcomes of the last messages belong to this run too.
      for (const server of lab.servers.values()) await server.commit();
      const fsyncs = flushStats.fsyncs - fsyncsBefore;
      const inMailbox = lab.servers.get(config.orgs[1].id)!.mailboxes.list('sean').filter((m) => m.kind === 'mail' && m.ref?.startsWith('b')).length;

      const labRate = perSecond(viaLabRun.value, viaLabRun.ms);
      const baseRate = perSecond(base.value, base.ms);
      const pipeRate = perSecond(piped.value, piped.ms);
      return {
        messages: o.messages, size: o.size, lab: labRate, baseline: baseRate, ratio: ratio(labRate, baseRate), rounds: roundRatios(viaLabRun, base),
        baselineViaPipe: pipeRate, pipeCeiling: ratio(pipeRate, baseRate), relaysOn: lab.relaysOn,
        concurrency: o.concurrency,
        delivered: { lab: Math.min(inMailbox, viaLabRun.value), baseline: Math.min(baseAccepted, base.value), baselineViaPipe: Math.min(pipedAccepted, piped.value) },
        ms: { lab: round(viaLabRun.ms), baseline: round(base.ms) },
        fsyncsPerMessage: round(fsyncs / Math.max(1, viaLabRun.value)),
        msPerMessage: perMessage(viaLabRun.ms, base.ms, o.messages),
      };
    } finally {
      await Promise.all([server.close(), pipe.close()]);
    }
  } finally {
    watch.close();
    await lab.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}
