import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';
import { benchCommand } from '../../app/cli/bench.ts';
import { findPostfixTools } from '../../app/bench/postfix.ts';
import { quickSizes } from '../../app/bench/run.ts';

const methods = ['plain', 'starttls', 'ntlm'] as const;
const figureKeys = ['messages', 'size', 'lab', 'baseline', 'ratio'];

describe('postcard-lab bench --json --quick', () => {
  it('prints the bench --json object, having moved every message and session it was asked to', { timeout: 300_000 }, async () => {
    const { code, out, err } = await cli('bench', '--json', '--quick');
    expect(err).not.toMatch(/delivered \d+ of|ended with 221/);
    expect(code).toBe(0);
    const r = JSON.parse(out);

    expect(r.version).toBe(1);
    expect(r.node).toBe(process.version);
    expect(Number.isInteger(r.cpus) && r.cpus > 0).toBe(true);

    for (const m of methods) {
      const t = r.throughput[m];
      expect(Object.keys(t)).toEqual(expect.arrayContaining(figureKeys));
      expect(t.messages).toBe(quickSizes.messages);
      expect(t.size).toBe(2048);
      // The run really moved mail: every timed message reached Sean's mailbox, and the baseline server.
      expect(t.delivered).toEqual({ lab: t.messages, baseline: t.messages, baselineViaPipe: t.messages });
      for (const k of ['lab', 'baseline', 'ratio', 'baselineViaPipe', 'pipeCeiling']) expect(typeof t[k]).toBe('number');
      // The ceiling is the baseline's own rate through one more hop: a ratio like the others, never a rate.
      expect(t.pipeCeiling).toBeCloseTo(t.baselineViaPipe / t.baseline, 2);
      // The durable store's cost shows at once: group commit keeps it near one flush per message or below.
      expect(t.fsyncsPerMessage).toBeGreaterThan(0);
      expect(t.fsyncsPerMessage).toBeLessThan(2);
      expect(Object.keys(t.msPerMessage)).toEqual(['lab', 'baseline', 'path']);
      // The paths ran where a user's lab runs them: on the relay thread.
      expect(t.relaysOn).toBe('thread');
      // The ratio of each round in turns, so the report can say how far it moved within the run.
      expect(t.rounds).toHaveLength(4);
      for (const x of t.rounds) expect(typeof x).toBe('number');
    }

    // The reduced load run: every message through asa delivered, none deferred by the lab's own
    // overload, the queue manager's limit held (issues 11 and 18; the full size runs in `bench`).
    for (const key of ['load', 'up']) {
      const l = r[key];
      expect(l.messages).toBe(quickSizes[key as 'load' | 'up'].messages);
      expect(l).toMatchObject({ accepted: l.messages, delivered: l.messages, deferred: 0 });
      expect(l.peakSessions).toBeLessThanOrEqual(20);
      expect(l.rssPeakMB).toBeGreaterThan(0);
      expect(l.rssPeakMB).toBeGreaterThanOrEqual(Math.max(l.rssStartMB, l.rssHalfMB, l.rssEndMB));
      expect(typeof l.bounded).toBe('boolean');
      // Live memory after a full collection (exposed at run time: the command runs without --expose-gc).
      expect(l.liveHalfMB).toBeGreaterThan(0);
      expect(l.liveEndMB).toBeGreaterThan(0);
      expect(l.liveEndMB).toBeLessThanOrEqual(l.rssEndMB);
      expect(l.retained.serverLogConnections).toBeGreaterThan(0);
      expect(l.retained.captureMB).toBeLessThanOrEqual(l.retained.captureLimitMB);
    }
    expect(r.load.capture.packets).toBeGreaterThan(0);

    const s = r.sessions;
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['lab', 'baseline', 'ratio', 'postfixSink', 'ratioPostfix']));
    expect(s.completed).toEqual({ lab: s.sessions, baseline: s.sessions, viaPath: s.sessions, viaPipe: s.sessions });
    for (const k of ['lab', 'baseline', 'ratio', 'viaPath', 'ratioPath', 'viaPipe', 'pipeCeiling']) expect(typeof s[k]).toBe('number');
    expect(s.ratioPath).toBeCloseTo(s.viaPath / s.lab, 2);
    expect(s.pipeCeiling).toBeCloseTo(s.viaPipe / s.lab, 2);
    expect(s.relaysOn).toBe('thread');
    if (findPostfixTools()) {
      expect(typeof s.postfixSink).toBe('number');
      expect(typeof s.ratioPostfix).toBe('number');
    } else {
      expect(s.postfixSink).toBeNull();
      expect(s.ratioPostfix).toBeNull();
    }

    expect(typeof r.startMs.cold).toBe('number');
    expect(typeof r.startMs.cachedKeys).toBe('number');

    expect(Object.keys(r.capture)).toEqual(['100k', '1M']);
    expect(r.capture['100k'].packets).toBe(100_000);
    for (const k of ['filterPageMs', 'exportMBs', 'bytesPerPacket']) expect(typeof r.capture['100k'][k]).toBe('number');
    expect(r.capture['1M']).toBeNull();

    // The grid round: --quick runs a 48-cell slice of the default grid, every cell as expected.
    expect(r.grid).toMatchObject({ cells: 48, agree: 48 });
    expect(typeof r.grid.cellsPerSecond).toBe('number');

    // Issue 11's targets, each read from the figure it names, judged against its first target and goal.
    expect(r.targets.map((t: { figure: string }) => t.figure)).toEqual(['throughput.plain', 'throughput.starttls', 'throughput.ntlm', 'sessions.ratioPath']);
    for (const t of r.targets) {
      const measured = t.figure === 'sessions.ratioPath' ? s.ratioPath : r.throughput[t.figure.split('.')[1]].ratio;
      expect(t.ratio).toBe(measured);
      expect(t.met).toBe(measured >= t.goal ? 'goal' : measured >= t.first ? 'first' : 'no');
    }

    // Issue 13: a class of 20 seats; the board received one event per wrong check of every learner.
    const c = r.classroom;
    expect(c).toMatchObject({ seats: 20, checks: quickSizes.classroomChecks, boardEvents: 20 * quickSizes.classroomChecks });
    for (const k of ['startMsPerSeat', 'singleStartMs', 'ratio', 'memoryMBPerSeat', 'heapMBPerSeat', 'boardEventsPerSec']) expect(typeof c[k]).toBe('number');
    expect(c.boardEventsPerSec).toBeGreaterThan(0);
  });
});

describe('postcard-lab bench', () => {
  it('prints readable tables without --json', { timeout: 90_000 }, async () => {
    const out: string[] = [];
    const code = await benchCommand(['--quick'], { out: (l) => out.push(l), err: () => undefined, interrupted: () => new Promise(() => {}) }, {
      postfix: null,
      sizes: { messages: 4, warmup: 1, sessions: 6, concurrency: 2, capture: { '100k': false, '1M': false }, classroomSeats: 2, classroomChecks: 2, grid: null, load: { messages: 6, sessions: 3 }, up: { messages: 4, sessions: 2 } },
    });
    expect(code).toBe(0);
    const text = out.join('\n');
    // method, lab, baseline, lab/baseline, via bare relay, ceiling, delivered, fsyncs/msg, ms/msg added
    expect(text).toMatch(/^ {2}plain +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +4\/4 +[\d.]+ +-?[\d.]+$/m);
    expect(text).toMatch(/^ {2}load \(asa, capture on\) +6 +3 +6 +0 /m);
    expect(text).toMatch(/^ {2}ntlm +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +4\/4 +[\d.]+ +-?[\d.]+$/m);
    expect(text).toMatch(/^ {2}through the lab's path \(relay thread\) +[\d.]+ +[\d.]+ +path \/ lab$/m);
    expect(text).toMatch(/^ {2}through a bare relay +[\d.]+ +[\d.]+ +bare relay \/ lab: the ceiling of one hop in one thread$/m);
    expect(text).toMatch(/^ {2}Postfix smtp-sink +—/m);
    expect(text).toMatch(/no Postfix figure/);
    expect(text).toMatch(/^Targets \(issue 11: each ratio against its baseline in this run; a --quick run is too short to judge them\)$/m);
    expect(text).toMatch(/^ {2}throughput\.plain +[\d.]+ +[\d.]+(–[\d.]+)? +≥ 0\.5 +≥ 0\.8 +(goal|first target|NO)$/m);
    expect(text).toMatch(/^ {2}sessions\.ratioPath +[\d.]+ +[\d.]+(–[\d.]+)? +≥ 0\.6 +≥ 0\.8 +(goal|first target|NO)$/m);
    expect(text).toMatch(/^ {2}\(its rounds: the lowest and highest ratio of the run's 4 rounds in turns/m);
    expect(text).toMatch(/^Classroom \(2 seats, one lab each\)$/m);
    expect(text).toMatch(/^ {2}board events\/s \(4 seat updates\) +[\d.]+$/m);
  });

  for (const argv of [['--bogus'], ['--json=yes'], ['extra'], ['--quick', '--quick']]) {
    it(`exits 2 on bad input: bench ${argv.join(' ')}`, async () => {
      const { code, err } = await cli('bench', ...argv);
      expect(code).toBe(2);
      expect(err).toMatch(/usage:/);
    });
  }
});
