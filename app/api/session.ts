/**
 * `ApiSession`: the one object a front-end talks to. It owns the open scenario, its running lab
 * and the step cursor, and republishes the lab's events in the contract's shapes. Every transport
 * (Electron IPC, the WebSocket bridge) drives the same session through `createHandlers`.
 *
 * Commands that replace the lab or move the cursor (open, start, stop, run steps) are exclusive:
 * a second one while the first is running gets `busy`, never an interleaving. Reads, sends and
 * lab actions stay allowed, as they would be on a real server while mail is in flight.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Emitter } from '../base/emitter.ts';
import { createLab, type Lab } from '../lab/lab.ts';
import { expandScenarioArgs, formatError, loadScenarioFile, type Loaded } from '../scenario/load.ts';
import { stepKind } from '../scenario/run.ts';
import type { ApiErrorCode, EventMessage, LabSnapshot, ScenarioSummary, ScenarioView, StepResultView, StepRun } from './contract.ts';
import { runOneStep, stepName, stepView } from './steps.ts';
import { labEventView, labSnapshot, stoppedSnapshot } from './views.ts';

/** A refusal with a contract error code; any other exception is reported as `failed`. */
export class ApiFailure extends Error {
  readonly code: ApiErrorCode;

  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ApiSessionOptions {
  /** Folder of `*.yaml` scenarios offered by `listScenarios`. */
  scenariosDir: string;
  /** Overrides every scenario's seed. */
  seed?: number;
  /**
   * Where lab RSA keys are cached. Default: the package's node_modules/.cache; the desktop app
   * passes its user-data folder, since a packaged app's own files are read-only.
   */
  keyCache?: string;
  /**
   * Lab time follows real time, this many times as fast (`serve --time-scale N`): queue retries,
   * lifetimes and bounces happen by themselves. Unset: the virtual clock, moved only by steps.
   */
  timeScale?: number;
  /**
   * The most packets any lab of this session keeps (a classroom's capture per lab): a scenario's own
   * `settings.captureLimit` applies when it is lower.
   */
  captureLimit?: number;
}

type Opened = Extract<Loaded, { ok: true }>;

export class ApiSession {
  readonly events = new Emitter<EventMessage>();
  readonly options: ApiSessionOptions;
  #opened?: Opened;
  #lab?: Lab;
  #workspace?: string;
  #unsubscribe?: () => void;
  #next = 0;
  #results: StepResultView[] = [];
  #busy = false;

  constructor(options: ApiSessionOptions) {
    this.options = options;
  }

  listScenarios(): ScenarioSummary[] {
    const seen = new Set<string>();
    return expandScenarioArgs([this.options.scenariosDir]).files.map((file) => {
      const loaded = loadScenarioFile(file);
      const base = path.basename(file);
      if (!loaded.ok) {
        return { id: base.replace(/\.ya?ml$/i, ''), title: base, level: 'beginner', file: base, errors: loaded.errors.map((e) => formatError({ ...e, file: base })) };
      }
      const s = loaded.scenario;
      const summary: ScenarioSummary = { id: loaded.id, title: s.title, level: s.level, minutes: s.minutes, file: base };
      if (seen.has(loaded.id)) summary.errors = [`${base}: scenario id ${loaded.id} is used by an earlier file`];
      seen.add(loaded.id);
      return summary;
    });
  }

  /** The running lab, or a `no-lab` refusal. */
  get lab(): Lab {
    if (!this.#lab) throw new ApiFailure('no-lab', this.#opened ? 'the lab is not running; start it first' : 'no scenario is open; open one first');
    return this.#lab;
  }

  get running(): boolean {
    return this.#lab !== undefined;
  }

  openScenario(id: string): Promise<ScenarioView> {
    return this.#exclusive(async () => {
      const summary = this.listScenarios().find((s) => s.id === id && !s.errors);
      if (!summary) throw new ApiFailure('not-found', `no loadable scenario "${id}" in ${this.options.scenariosDir}`);
      const loaded = loadScenarioFile(path.join(this.options.scenariosDir, summary.file));
      if (!loaded.ok) throw new ApiFailure('failed', loaded.errors.map(formatError).join('\n'));
      await this.#stopLab();
      this.#opened = loaded;
      this.#resetCursor();
      this.#changed();
      return this.scenarioView();
    });
  }

  scenarioView(): ScenarioView {
    const o = this.#requireScenario();
    const s = o.scenario;
    return { id: o.id, title: s.title, level: s.level, minutes: s.minutes, story: s.story, steps: s.steps.map((step, i) => stepView(step, i)) };
  }

  /** Start the open scenario's lab afresh (a running one is stopped first): a new workspace, step 1. */
  startLab(): Promise<LabSnapshot> {
    return this.#exclusive(async () => {
      const o = this.#requireScenario();
      await this.#stopLab();
      this.#resetCursor();
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-lab-ui-'));
      try {
        this.#lab = await createLab(this.#labConfig(o), { workspace, seed: this.options.seed ?? o.scenario.lab.seed, keyCache: this.options.keyCache,
          running: this.options.timeScale ? { scale: this.options.timeScale } : undefined });
      } catch (error) {
        fs.rmSync(workspace, { recursive: true, force: true });
        throw error;
      }
      this.#workspace = workspace;
      const lab = this.#lab;
      this.#unsubscribe = lab.events.subscribe((e) => this.events.emit({ event: 'lab.event', payload: labEventView(e) }));
      this.#changed();
      return this.snapshot();
    });
  }

  stopLab(): Promise<LabSnapshot> {
    return this.#exclusive(async () => {
      await this.#stopLab();
      this.#changed();
      return this.snapshot();
    });
  }

  snapshot(): LabSnapshot {
    const cursor = { nextStep: this.#next, results: this.#results };
    const o = this.#opened;
    if (this.#lab && o) return labSnapshot(this.#lab, { id: o.id, title: o.scenario.title }, cursor);
    return stoppedSnapshot(o && { id: o.id, title: o.scenario.title, orgs: o.scenario.lab.orgs }, cursor);
  }

  /**
   * Run up to `max` steps from the cursor; stops early at a step that errs (as the runner does).
   * With `solve: false` an unmet checkpoint answers `pending` with its question and the cursor
   * stays on it, so running it again checks the learner's work; `solve: true` applies its solution.
   */
  runSteps(max: number, solve: boolean): Promise<StepRun> {
    return this.#exclusive(async () => {
      const steps = this.#requireScenario().scenario.steps;
      const lab = this.lab;
      const results: StepResultView[] = [];
      while (results.length < max && this.#next < steps.length) {
        const index = this.#next;
        const step = steps[index];
        let outcome;
        try {
          outcome = await runOneStep(lab, step, solve);
        } catch (error) {
          outcome = { status: 'error' as const, message: (error as Error).message };
        }
        if (this.#lab !== lab) break;
        const result: StepResultView = { index, kind: stepKind(step), status: outcome.status, message: outcome.message, name: stepName(step) };
        results.push(result);
        if (result.status === 'pending') {
          // Not a finished step: the cursor and the run's record stay where they were.
          if ('checkpoint' in step) result.ask = step.checkpoint.ask;
          this.events.emit({ event: 'step.result', payload: { result, next: this.#next } });
          break;
        }
        this.#next = index + 1;
        this.#results.push(result);
        this.events.emit({ event: 'step.result', payload: { result, next: this.#next } });
        if (result.status === 'error') break;
      }
      return { results, next: this.#next, done: this.#next >= steps.length };
    });
  }

  /** Stop the lab and forget everything (the transport is closing). */
  async close(): Promise<void> {
    await this.#stopLab();
  }

  /** The open scenario's id, if any. */
  get scenarioId(): string | undefined {
    return this.#opened?.id;
  }

  #labConfig(o: Opened): Opened['scenario']['lab'] {
    const cap = this.options.captureLimit;
    if (cap === undefined) return o.scenario.lab;
    const own = o.scenario.lab.settings?.captureLimit;
    return { ...o.scenario.lab, settings: { ...o.scenario.lab.settings, captureLimit: Math.min(own ?? cap, cap) } };
  }

  #requireScenario(): Opened {
    if (!this.#opened) throw new ApiFailure('no-scenario', 'no scenario is open; open one first');
    return this.#opened;
  }

  #resetCursor(): void {
    this.#next = 0;
    this.#results = [];
  }

  #changed(): void {
    this.events.emit({ event: 'session.changed', payload: { scenario: this.#opened?.id, status: this.#lab ? 'running' : 'stopped' } });
  }

  async #stopLab(): Promise<void> {
    const lab = this.#lab;
    const workspace = this.#workspace;
    this.#lab = undefined;
    this.#workspace = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (lab) await lab.stop();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#busy) throw new ApiFailure('busy', 'the lab is busy with an earlier command (a step may still be waiting for mail to settle); try again when it finishes');
    this.#busy = true;
    try {
      return await fn();
    } finally {
      this.#busy = false;
    }
  }
}
