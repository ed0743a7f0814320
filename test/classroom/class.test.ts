// Issue 13's "Done means": `postcard-lab classroom` on loopback, 20 learners over WebSockets,
// each walking through a scenario with a checkpoint — some right, some wrong — and the board's
// events (folded, nothing polled) show every seat's true state, as each seat's own lab reports it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeatView } from '../../app/api/classroom.ts';
import type { LabSnapshot, StepRun } from '../../app/api/contract.ts';
import { connect, join, startClass, type Client, type Message, type RunningClass } from './helpers.ts';

const SEATS = 20;
const RIGHT = { vocabulary: 'ims', option: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } };
const save = (setting: unknown) => ({ org: 'intellinet', domain: 'ntsol.example', setting });

/** Five kinds of learner, by seat number modulo 5. */
type Kind = 'right' | 'wrong-then-right' | 'show-me' | 'wrong-password' | 'stuck';
const KINDS: Kind[] = ['right', 'wrong-then-right', 'show-me', 'wrong-password', 'stuck'];
const EXPECTED_STATE: Record<Kind, SeatView['checkpoints'][number]['state']> = {
  right: 'passed', 'wrong-then-right': 'passed', 'show-me': 'solved', 'wrong-password': 'passed', stuck: 'pending',
};
/** Wrong checks: a "not yet" after the checkpoint has asked its question once. */
const EXPECTED_CHECKS: Record<Kind, number> = { right: 0, 'wrong-then-right': 1, 'show-me': 0, 'wrong-password': 0, stuck: 2 };

async function walk(c: Client, kind: Kind): Promise<void> {
  const next = () => c.call<StepRun>('runNextStep', {});
  switch (kind) {
    case 'right':
      await c.call('saveSecurity', save(RIGHT));
      expect((await next()).results[0].status).toBe('passed');
      break;
    case 'wrong-then-right':
      expect((await next()).results[0].status).toBe('pending');
      await c.call('saveSecurity', save({ vocabulary: 'ims', option: 'sasl-ssl', sslEncryption: true }));
      expect((await next()).results[0].status).toBe('pending');
      await c.call('saveSecurity', save(RIGHT));
      expect((await next()).results[0].status).toBe('passed');
      break;
    case 'show-me':
      expect((await next()).results[0].status).toBe('pending');
      expect((await c.call<StepRun>('runNextStep', { solve: true })).results[0].message).toBe('solution applied');
      break;
    case 'wrong-password': {
      // NT challenge/response, but not the password the partner set: the checkpoint logs on as the
      // real session would, so it holds (its hint never shows the password)…
      const wrong = save({ ...RIGHT, logon: { ...RIGHT.logon, password: 'Sunrise-24' } });
      await c.call('saveSecurity', wrong);
      const held = (await next()).results[0];
      expect(held.status).toBe('pending');
      expect(held.message).not.toContain('Sunrise');
      await c.call('saveSecurity', save(RIGHT));
      expect((await next()).results[0].status).toBe('passed');
      // …and a password mistyped again after the checkpoint: the partner refuses the logon, the mail bounces.
      await c.call('saveSecurity', wrong);
      break;
    }
    case 'stuck':
      for (let i = 0; i < 3; i++) expect((await next()).results[0].status).toBe('pending');
      return;
  }
  await c.call<StepRun>('runAllSteps', {});
}

/** The board's view of each seat: the last `board.seat` event of each (and none removed). */
function fold(events: Message[]): Map<string, SeatView> {
  const seats = new Map<string, SeatView>();
  for (const e of events) {
    if (e.event === 'board.seat') seats.set((e.payload as SeatView).seat, e.payload as SeatView);
    if (e.event === 'board.removed') seats.delete((e.payload as { seat: string }).seat);
  }
  return seats;
}

describe('a class of 20 on loopback', () => {
  let cls: RunningClass;
  beforeAll(async () => {
    cls = await startClass(['--seats', String(SEATS), '--scenario', 'ntlm-one-way', '--scenario', 'postcard']);
  }, 120_000);
  afterAll(async () => {
    expect(await cls.stop()).toBe(0);
  });

  it('joins 20 learners, assigns them a scenario, and the board follows every seat to its true state', async () => {
    const board = await connect(cls.port, `board=${cls.trainerToken}`);
    const initial = await board.call('getBoard');
    // The class offers the trainer's scenarios in course order (level, then `order`), as the picker shows them.
    expect(initial.class).toMatchObject({ seats: SEATS, scenarios: [{ id: 'postcard' }, { id: 'ntlm-one-way' }] });
    expect(initial.seats).toEqual([]);

    const joined: { seat: string; token: string }[] = [];
    for (let i = 0; i < SEATS; i++) joined.push(await join(cls.port, cls.code, `Learner ${i + 1}`));
    expect(joined.map((j) => j.seat)).toEqual(Array.from({ length: SEATS }, (_, i) => `s${String(i + 1).padStart(2, '0')}`));
    expect(new Set(joined.map((j) => j.token)).size).toBe(SEATS);
    // The 21st learner is told the room is full.
    const late = await connect(cls.port, `join=${cls.code}`);
    expect(await late.send('join', { name: 'Latecomer' })).toMatchObject({ ok: false, error: { code: 'full', message: `this class is full: all ${SEATS} seats are taken; ask the trainer to free one` } });
    late.close();

    const learners = await Promise.all(joined.map((j) => connect(cls.port, `seat=${j.token}`)));
    await Promise.all(learners.map((l) => l.until((ev) => ev.some((e) => e.event === 'seat.welcome'))));
    expect(learners[4].events.find((e) => e.event === 'seat.welcome')!.payload).toMatchObject({ seat: 's05', name: 'Learner 5' });

    const assigned = await board.call('assignScenario', { scenario: 'ntlm-one-way' });
    expect(assigned).toEqual({ seats: joined.map((j) => j.seat), failed: [] });
    await Promise.all(learners.map((l) => l.until((ev) => ev.some((e) => e.event === 'seat.assigned'))));
    const welcome = learners[0].events.find((e) => e.event === 'seat.assigned')!.payload as { scenario: { id: string; steps: unknown[] }; snapshot: LabSnapshot };
    expect(welcome.scenario.id).toBe('ntlm-one-way');
    expect(welcome.snapshot.status).toBe('running');

    // Everyone works at once.
    await Promise.all(learners.map((l, i) => walk(l, KINDS[i % KINDS.length])));

    // The truth: each seat's own lab, asked by its own learner.
    const truth = await Promise.all(learners.map((l) => l.call<LabSnapshot>('getSnapshot')));
    const expectedFor = (i: number) => {
      const t = truth[i];
      return {
        passed: t.results.filter((r) => r.status === 'passed').length,
        failed: t.results.filter((r) => r.status === 'failed' || r.status === 'error').length,
        step: t.nextStep < 6 ? t.nextStep : null,
      };
    };
    const matches = (seats: Map<string, SeatView>) => joined.every((j, i) => {
      const v = seats.get(j.seat);
      const e = expectedFor(i);
      return v !== undefined && v.passed === e.passed && v.failed === e.failed && (v.step?.index ?? null) === e.step
        && v.checkpoints[0]?.state === EXPECTED_STATE[KINDS[i % 5]] && v.checkpoints[0]?.checks === EXPECTED_CHECKS[KINDS[i % 5]];
    });
    await board.until((events) => matches(fold(events)));

    const seats = fold(board.events);
    expect(seats.size).toBe(SEATS);
    joined.forEach((j, i) => {
      const kind = KINDS[i % 5];
      const v = seats.get(j.seat)!;
      expect(v).toMatchObject({ name: `Learner ${i + 1}`, connected: 1, lab: 'running', scenario: { id: 'ntlm-one-way' } });
      expect(v.checkpoints).toEqual([expect.objectContaining({ id: 'add-ntsol', state: EXPECTED_STATE[kind], checks: EXPECTED_CHECKS[kind] })]);
      if (kind === 'stuck') {
        expect(v.step).toMatchObject({ index: 0, kind: 'checkpoint' });
        expect(v.checkpoints[0].doneAt).toBeUndefined();
      } else if (kind === 'wrong-password') {
        // The partner refused the logon: m1 bounced, its expectations failed; the board says so in one line.
        expect(v.failed).toBeGreaterThan(0);
        expect(v.lastFailure?.text).toMatch(/failed|bounced/);
        expect(truth[i].orgs.find((o) => o.id === 'intellinet')!.queue.find((q) => q.ref === 'm1')!.state).toBe('bounced');
      } else {
        expect(v).toMatchObject({ step: null, failed: 0, passed: 6 });
        expect(v.lastFailure).toBeUndefined();
      }
    });

    // The export says the same: one row per seat and checkpoint.
    const csv = await board.call<{ filename: string; text: string }>('exportResults', { format: 'csv' });
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('seat,name,scenario,step,checkpoint,outcome,checks,joinedAt,reachedAt,doneAt,seconds');
    expect(lines).toHaveLength(SEATS + 1);
    expect(lines.filter((l) => l.includes(',add-ntsol,solved,')).length).toBe(4);
    expect(lines.filter((l) => l.includes(',add-ntsol,pending,2,')).length).toBe(4);
    const json = JSON.parse((await board.call<{ text: string }>('exportResults', { format: 'json' })).text);
    expect(json.rows).toHaveLength(SEATS);
    expect(json.rows[2]).toMatchObject({ seat: 's03', name: 'Learner 3', scenario: 'ntlm-one-way', step: 'done', checkpoint: 'add-ntsol', outcome: 'solved', checks: 0 });

    // Leaving shows on the board; coming back (a reload) returns to the same seat and lab.
    learners[0].close();
    await board.until((events) => fold(events).get('s01')?.connected === 0);
    const again = await connect(cls.port, `seat=${joined[0].token}`);
    await again.until((ev) => ev.some((e) => e.event === 'seat.welcome'));
    const back = again.events.find((e) => e.event === 'seat.welcome')!.payload as { seat: string; scenario: { id: string }; snapshot: LabSnapshot };
    expect(back).toMatchObject({ seat: 's01', scenario: { id: 'ntlm-one-way' }, snapshot: { status: 'running', nextStep: 6 } });
    expect(back.snapshot.orgs.find((o) => o.id === 'ntsol')!.mailboxes).toEqual([{ user: 'sean', messages: 1, bounces: 0 }]);
    await board.until((events) => fold(events).get('s01')?.connected === 1);

    // The trainer resets the stuck learner's lab: a fresh lab, step 1, the board and the learner both told.
    const reset = await board.call<SeatView>('resetSeat', { seat: 's05' });
    expect(reset).toMatchObject({ seat: 's05', lab: 'running', step: { index: 0 }, checkpoints: [{ state: 'pending', checks: 0 }] });
    await learners[4].until((ev) => ev.filter((e) => e.event === 'seat.assigned').length === 2);

    for (const l of [...learners, again, board]) l.close();
  }, 300_000);
});
