/**
 * The scenario being taught: the list to pick from, the open scenario's story and steps, and how
 * far the run has come. Step results arrive both as responses and as `step.result` events (so a
 * long "run all" fills in step by step); both land in the same per-index table.
 */
import type { PostcardApi, ScenarioSummary, ScenarioView, StepResultView } from '../../app/api/contract.ts';

export type StepMark = StepResultView['status'] | 'pending' | 'running';

export class ScenarioState {
  #api: PostcardApi;
  list = $state.raw<ScenarioSummary[]>([]);
  current = $state.raw<ScenarioView | undefined>(undefined);
  results = $state.raw<(StepResultView | undefined)[]>([]);
  next = $state(0);
  busy = $state(false);
  error = $state<string | undefined>(undefined);

  done = $derived(this.current !== undefined && this.next >= this.current.steps.length);
  counts = $derived({
    passed: this.results.filter((r) => r?.status === 'passed').length,
    failed: this.results.filter((r) => r?.status === 'failed' || r?.status === 'error').length,
  });

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  mark(index: number): StepMark {
    return this.results[index]?.status ?? (this.busy && index >= this.next ? (index === this.next ? 'running' : 'pending') : 'pending');
  }

  async load(): Promise<void> {
    await this.#guard(async () => {
      this.list = (await this.#api.listScenarios({})).scenarios;
    });
  }

  /** Open a scenario and start its lab, ready for step 1. */
  async open(id: string): Promise<void> {
    await this.#guard(async () => {
      this.current = await this.#api.openScenario({ id });
      this.#reset();
      await this.#api.startLab({});
    });
  }

  /** Start the same scenario's lab again from step 1. */
  async restart(): Promise<void> {
    await this.#guard(async () => {
      this.#reset();
      await this.#api.startLab({});
    });
  }

  close(): void {
    this.current = undefined;
    this.#reset();
  }

  async runNext(): Promise<void> {
    await this.#guard(async () => this.#record(await this.#api.runNextStep({})));
  }

  async runAll(): Promise<void> {
    await this.#guard(async () => this.#record(await this.#api.runAllSteps({})));
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
  }

  async #guard(fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = undefined;
    try {
      await fn();
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.busy = false;
    }
  }
}
