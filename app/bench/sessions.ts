/**
 * `sessions` of `bench --json` (docs/bench.md): new SMTP sessions per second (connect, greeting, QUIT, 221), with
 * `concurrency` sessions open at once, against
 *
 *   lab        NT Solutions' mail host listener in the postcard lab (its profile's banner, its
 *              hooks, greeting delay 0 as the scenario leaves it);
 *   viaPath    the same host through the lab's path: the recording relay and its taps, on the
 *              relay thread (docs/decisions.md, "The paths run on a thread of their own");
 *   viaPipe    the same host through a bare TCP relay in this thread (pipe-relay.ts): what one more
 *              hop costs any relay on Node's `net` in the same thread, so `pipeCeiling` is the best
 *              `viaPath / lab` a relay in the lab's own thread could reach;
 *   baseline   a bare smtp-server patched the same way (greeting delay 0, no reverse look-up);
 *   postfixSink  Postfix's smtp-sink fed by smtp-source (postfix.ts), when installed.
 *
 * Each target first takes a few untimed sessions, so the first one does not pay for the JIT; then
 * the targets take turns (`rates`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab } from '../lab/lab.ts';
import { benchLab } from './labs.ts';
import { startBaselineServer } from './baseline.ts';
import { openAndQuit } from './quit-session.ts';
import { startPipeRelay } from './pipe-relay.ts';
import { findPostfixTools, postfixSessions, type PostfixTools } from './postfix.ts';
import { inTurns, perSecond, ratio, roundRatios, runWindow, type BenchClock, type TurnTotals } from './measure.ts';

export interface SessionsOptions {
  sessions: number;
  concurrency: number;
  warmup: number;
  clock: BenchClock;
  /** Where smtp-sink and smtp-source are; default: looked up in /usr/sbin. Null: do not use them. */
  postfix?: PostfixTools | null;
  progress(line: string): void;
}

export interface SessionsFigure {
  lab: number;
  baseline: number;
  ratio: number | null;
  postfixSink: number | null;
  ratioPostfix: number | null;
  viaPath: number;
  /** `viaPath / lab`: what the lab's path keeps of the host's rate (issue 11's first target: 0.6). */
  ratioPath: number | null;
  /** `ratioPath` in each round of the turns (docs/bench.md): how far it moved while the run lasted. */
  roundsPath: (number | null)[];
  /** Through a bare TCP relay in front of the same host (pipe-relay.ts), and `viaPipe / lab`: the ceiling of one relay hop. */
  viaPipe: number;
  pipeCeiling: number | null;
  /** Where the lab's path relays ran: the relay thread (docs/decisions.md), or the lab's own thread. */
  relaysOn: 'thread' | 'lab';
  sessions: number;
  concurrency: number;
  /** Timed sessions that ended with 221, per target. */
  completed: { lab: number; baseline: number; viaPath: number; viaPipe: number };
  /** Why postfixSink is null, when it is. */
  postfixSkipped?: string;
}

/** Sessions per second against each port, every target warmed up, then the targets in turns. */
async function rates(ports: number[], o: SessionsOptions): Promise<{ rate: number; completed: number; totals: TurnTotals }[]> {
  for (const port of ports) await runWindow(o.warmup, o.concurrency, () => openAndQuit(port));
  const totals = await inTurns(o.sessions, o.clock, ports.map((port) => ({ run: (share) => runWindow(share, o.concurrency, () => openAndQuit(port)) })));
  return totals.map((t) => ({ rate: perSecond(t.value, t.ms), completed: t.value, totals: t }));
}

export async function benchSessions(o: SessionsOptions): Promise<SessionsFigure> {
  const config = benchLab('plain');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-bench-'));
  const lab = await createLab(config, { workspace });
  try {
    const receiver = config.orgs[1];
    const listener = lab.servers.get(receiver.id)!.listeners.find((l) => l.role === 'mail');
    const relay = lab.relays.find((r) => r.fromOrg === config.orgs[0].id && r.toOrg === receiver.id);
    if (!listener || !relay) throw new Error('the postcard lab has no listener or path for NT Solutions');
    const server = await startBaselineServer('plain', config);
    const pipe = await startPipeRelay(listener.port);
    o.progress(`sessions: baseline, the lab host listener, through the lab's path and through a bare relay, ${o.sessions} sessions each, in turns`);
    const [base, direct, viaPath, viaPipe] = await rates([server.port, listener.port, relay.port, pipe.port], o)
      .finally(() => Promise.all([server.close(), pipe.close()]));

    o.progress(`sessions: Postfix smtp-sink, ${o.sessions} sessions`);
    const postfix = o.postfix === null
      ? { rate: null, skipped: 'left out of this run' }
      : await postfixSessions(o.postfix ?? findPostfixTools(), o.sessions, o.concurrency, o.clock);
    return {
      lab: direct.rate, baseline: base.rate, ratio: ratio(direct.rate, base.rate),
      postfixSink: postfix.rate, ratioPostfix: ratio(direct.rate, postfix.rate),
      viaPath: viaPath.rate, ratioPath: ratio(viaPath.rate, direct.rate), roundsPath: roundRatios(viaPath.totals, direct.totals),
      viaPipe: viaPipe.rate, pipeCeiling: ratio(viaPipe.rate, direct.rate), relaysOn: lab.relaysOn,
      sessions: o.sessions, concurrency: o.concurrency,
      completed: { lab: direct.completed, baseline: base.completed, viaPath: viaPath.completed, viaPipe: viaPipe.completed },
      ...(postfix.skipped ? { postfixSkipped: postfix.skipped } : {}),
    };
  } finally {
    await lab.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}
