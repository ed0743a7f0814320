/**
 * The scenario being taught: the list to pick from, the open scenario's story and steps, and how
 * far the run has come. Step results arrive both as responses and as `step.result` events (so a
 * long "run all" fills in step by step); both land in the same per-index table.
 *
 * A checkpoint (docs/scenario-format.md) is the learner's turn: "Next step" on it answers `pending` with its
 * question and the cursor stays; "Check" asks again (it passes once the learner made it true);
 * "Show me" asks the engine to apply the solution. "Run all steps" applies solutions, unattended.
 */
import { friendly } from '../lib/format.ts';
import type { PostcardApi, ScenarioSummary, ScenarioView, StepResultView, StepView } from '../../app/api/contract.ts';

export type StepMark = StepResultView['status'] | 'pending' | 'running';

/** The last Check's answer: still not true, or passed (with the question it answered). */
export type Verdict = { kind: 'not-yet'; checks: number; hint: string } | { kind: 'passed'; ask: string; message: string };

export class ScenarioState {
  #api: PostcardApi;
  list = $state.raw<ScenarioSummary[]>([]);
  current = $state.raw<ScenarioView | undefined>(undefined);
  results = $state.raw<(StepResultView | undefined)[]>([]);
  next = $state(0);
  busy = $state(false);
  error = $state<string | undefined>(undefined);
  verdict = $state.raw<Verdict | undefined>(undefined);

  /** The checkpoint waiting for the learner: the next step, answered `pending`. */
  waiting = $derived.by((): StepView | undefined => {
    const r = this.results[this.next];
    return r?.status === 'pending' ? this.current?.steps[r.index] : undefined;
  });
  done = $derived(this.current !== undefined && this.next >= this.current.steps.length);
  counts = $derived({
    passed: this.results.filter((r) => r?.status === 'passed').length,
    failed: this.results.filter((r) => r?.status === 'failed' || r?.status === 'error').length,
  });

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  mark(index: number): StepMark {
    const status = this.results[index]?.status;
    if (status && status !== 'pending') return status;
    return this.busy && index === this.next ? 'running' : 'pending';
  }

  async load(): Promise<void> {
    await this.#guard(async () => {
      this.list = (await this.#api.listScenarios({})).scenarios;
    });
  }

  /**
   * After a page reload (or a second window): the session still holds the scenario and its lab,
   * so pick them up where they are instead of starting again. False when no scenario is open.
   */
  async resume(id: string): Promise<boolean> {
    let resumed = false;
    await this.#guard(async () => {
      const now = await this.#api.currentScenario({});
      if (now.scenario?.id !== id || now.status !== 'running') return;
      this.current = now.scenario;
      this.results = [];
      for (const r of now.results) this.onStepResult(r, now.nextStep);
      this.next = now.nextStep;
      resumed = true;
    });
    return resumed;
  }

  /** Open a scenario and start its lab, ready for step 1. */
  async open(id: string): Promise<void> {
    await this.#guard(async () => {
      this.current = await this.#api.openScenario({ id });
      this.#reset();
      await this.#api.startLab({});
    });
  }

  /** A scenario opened another way (a file, the desktop menu): show it and start its lab. */
  async adopt(view: ScenarioView): Promise<void> {
    await this.#guard(async () => {
      this.current = view;
      this.#reset();
      await this.#api.startLab({});
    });
  }

  /** The file changed on disk but only its words did: new story, same lab and progress. */
  updateStory(view: ScenarioView): void {
    if (this.current?.id === view.id) this.current = view;
  }

  async stop(): Promise<void> {
    await this.#guard(async () => {
      await this.#api.stopLab({});
    });
  }

  /**
   * Start the same scenario's lab again from step 1. `keepChanges`: the organisations stay as the
   * learner configured them (a fresh queue and mailboxes); otherwise as the scenario file has them.
   */
  async restart(keepChanges = false): Promise<void> {
    await this.#guard(async () => {
      this.#reset();
      await this.#api.startLab({ keepChanges });
    });
  }

  /**
   * Where a failed step re-runs from: an expectation about a message goes back to the step that
   * sent it (the lab cannot un-send it), anything else re-runs itself.
   */
  rerunFrom(index: number): number {
    const steps = this.current?.steps ?? [];
    const step = steps[index];
    if (step?.kind !== 'expect' || !step.message) return index;
    const send = steps.slice(0, index).findLast((s) => s.kind === 'send' && s.message === step.message);
    return send?.index ?? index;
  }

  /** Move the cursor back to `index` (after a fix), then run that step again. */
  async rerun(index: number): Promise<void> {
    await this.#guard(async () => {
      const r = await this.#api.rewindSteps({ to: index });
      this.results = this.results.map((x) => (x && x.index < r.next ? x : undefined));
      this.next = r.next;
      this.verdict = undefined;
      this.#record(await this.#api.runNextStep({}));
    });
  }

  /** Back to the list: the lab stops, so a reload shows the list too. */
  async close(): Promise<void> {
    this.current = undefined;
    this.#reset();
    await this.#guard(async () => {
      await this.#api.stopLab({});
    });
  }

  async runNext(): Promise<void> {
    await this.#guard(async () => {
      this.verdict = undefined;
      this.#record(await this.#api.runNextStep({}));
    });
  }

  /** Run the waiting checkpoint again: it passes once the lab matches. */
  async check(): Promise<void> {
    const waiting = this.waiting;
    if (!waiting) return;
    await this.#guard(async () => {
      const run = await this.#api.runNextStep({});
      this.#record(run);
      const r = run.results[0];
      const checks = this.verdict?.kind === 'not-yet' ? this.verdict.checks + 1 : 1;
      this.verdict = r?.status === 'pending' ? { kind: 'not-yet', checks, hint: r.message } : r && { kind: 'passed', ask: waiting.ask ?? waiting.summary, message: r.message };
    });
  }

  /** "Show me": the engine applies the checkpoint's solution, as the headless runner would. */
  async showMe(): Promise<void> {
    await this.#guard(async () => {
      this.verdict = undefined;
      this.#record(await this.#api.runNextStep({ solve: true }));
    });
  }

  async runAll(): Promise<void> {
    await this.#guard(async () => {
      this.verdict = undefined;
      this.#record(await this.#api.runAllSteps({}));
    });
  }

  /** A `step.result` event (ours or another window's). */
  onStepResult(result: StepResultView, next: number): void {
    const table = [...this.results];
    table[result.index] = result;
    this.results = table;
    this.next = Math.max(this.next, next);
  }

  #record(run: { results: StepResultView[]; next: number }): void {
    for (const r of run.results) this.onStepResult(r, run.next);
  }

  #reset(): void {
    this.results = [];
    this.next = 0;
    this.verdict = undefined;
  }

  async #guard(fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = undefined;
    try {
      await fn();
    } catch (error) {
      this.error = friendly((error as Error).message);
    } finally {
      this.busy = false;
    }
  }
}
