/**
 * One learner's seat: a display name, a secret token, and an `ApiSession` of its own (own lab,
 * own workspace, own ports, own capture). The seat follows its session's events to keep what the
 * board shows — step, checkpoints, last failure — and rebuilds its `SeatView` on every change.
 *
 *   session.events ──► Seat.#onEvent ──► progress ──► onChange(view) ──► the board
 */
import type { EventMessage, LabEventView, ScenarioView, StepResultView } from '../api/contract.ts';
import type { ApiSession } from '../api/session.ts';
import type { CheckpointView, SeatLab, SeatView } from '../api/classroom.ts';

export interface SeatDeps {
  seat: string;
  name: string;
  token: string;
  session: ApiSession;
  now(): number;
  onChange(seat: Seat): void;
}

export class Seat {
  readonly id: string;
  readonly name: string;
  readonly token: string;
  readonly session: ApiSession;
  readonly joinedAt: number;
  lastActive: number;
  connected = 0;
  #now: () => number;
  #onChange: (seat: Seat) => void;
  #unsubscribe: () => void;
  #scenario?: ScenarioView;
  #checkpoints: CheckpointView[] = [];
  #stepSince = 0;
  #next = 0;
  #passed = 0;
  #failed = 0;
  #lastFailure?: { at: number; text: string };
  #idleStopped = false;
  #asked = new Set<number>();
  /** True while a command that applies solutions runs ("Show me", "Run all"). */
  solving = false;

  constructor(d: SeatDeps) {
    this.id = d.seat;
    this.name = d.name;
    this.token = d.token;
    this.session = d.session;
    this.#now = d.now;
    this.#onChange = d.onChange;
    this.joinedAt = this.lastActive = d.now();
    this.#unsubscribe = d.session.events.subscribe((e) => this.#onEvent(e));
  }

  /** The scenario view the learner's UI adopts (after an assignment, a reset, a reconnect). */
  get scenario(): ScenarioView | undefined {
    return this.#scenario;
  }

  get labState(): SeatLab {
    if (this.session.running) return 'running';
    if (this.#idleStopped) return 'idle-stopped';
    return this.#scenario ? 'stopped' : 'none';
  }

  touch(): void {
    this.lastActive = this.#now();
  }

  markIdleStopped(): void {
    this.#idleStopped = true;
    this.#onChange(this);
  }

  view(): SeatView {
    const s = this.#scenario;
    const step = s && this.#next < s.steps.length ? s.steps[this.#next] : undefined;
    return {
      seat: this.id, name: this.name, connected: this.connected,
      ...(s ? { scenario: { id: s.id, title: s.title } } : {}),
      lab: this.labState,
      ...(s ? { step: step ? { index: step.index, total: s.steps.length, kind: step.kind, summary: step.summary, since: this.#stepSince } : null } : {}),
      checkpoints: this.#checkpoints.map((c) => ({ ...c })),
      passed: this.#passed, failed: this.#failed,
      ...(this.#lastFailure ? { lastFailure: this.#lastFailure } : {}),
      joinedAt: this.joinedAt, lastActive: this.lastActive,
    };
  }

  close(): void {
    this.#unsubscribe();
  }

  /** A new scenario was opened or the lab restarted: progress starts over. */
  #restart(): void {
    const s = this.session.scenarioId ? this.session.scenarioView() : undefined;
    this.#scenario = s;
    this.#next = 0;
    this.#passed = this.#failed = 0;
    this.#lastFailure = undefined;
    this.#asked.clear();
    this.#stepSince = this.#now();
    this.#checkpoints = (s?.steps ?? []).filter((st) => st.kind === 'checkpoint').map((st) => ({
      index: st.index, id: st.name, ask: st.ask ?? st.summary, state: 'pending', checks: 0,
    }));
    this.#reach(0);
  }

  #reach(index: number): void {
    const c = this.#checkpoints.find((k) => k.index === index);
    if (c && c.reachedAt === undefined) c.reachedAt = this.#now();
  }

  #onEvent(e: EventMessage): void {
    switch (e.event) {
      case 'session.changed':
        this.#idleStopped = false;
        if (e.payload.status === 'running' || e.payload.scenario !== this.#scenario?.id) this.#restart();
        break;
      case 'step.result':
        this.#onStep(e.payload.result, e.payload.next);
        break;
      case 'lab.event':
        if (!this.#onLabEvent(e.payload)) return;
        break;
      default: {
        const never: never = e;
        void never;
      }
    }
    this.#onChange(this);
  }

  #onStep(r: StepResultView, next: number): void {
    const c = this.#checkpoints.find((k) => k.index === r.index);
    if (r.status === 'pending') {
      // The first "not yet" is the question being asked (Next step reached it); each later one is a wrong check.
      if (c && this.#asked.has(c.index)) c.checks++;
      if (c) this.#asked.add(c.index);
      return;
    }
    if (c && r.status === 'passed') {
      c.state = this.solving && r.message !== 'already true' ? 'solved' : 'passed';
      c.doneAt = this.#now();
    }
    if (r.status === 'passed') this.#passed++;
    else if (r.status === 'failed' || r.status === 'error') {
      this.#failed++;
      this.#lastFailure = { at: this.#now(), text: `step ${r.index + 1} ${r.status}: ${r.message}` };
    }
    if (next !== this.#next) {
      this.#next = next;
      this.#stepSince = this.#now();
      this.#reach(next);
    }
  }

  /** Only failures matter to the board; returns whether the view changed. */
  #onLabEvent(e: LabEventView): boolean {
    if (e.type !== 'mail.bounced' && e.type !== 'mail.deferred') return false;
    const what = e.type === 'mail.bounced' ? 'bounced' : 'deferred';
    const ref = e.entry.ref ?? e.entry.id;
    this.#lastFailure = { at: this.#now(), text: `${ref} ${what}${e.entry.lastError ? `: ${e.entry.lastError}` : ''}` };
    return true;
  }
}
