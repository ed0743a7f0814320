/**
 * `ApiSession`: the one object a front-end talks to. It owns the open scenario, its running lab
 * and the step cursor, and republishes the lab's events in the contract's shapes. Every transport
 * (Electron IPC, the WebSocket bridge) drives the same session through `createHandlers`.
 *
 * Commands that replace the lab or move the cursor (open, start, stop, run steps) are exclusive:
 * a second one while the first is running gets `busy`, never an interleaving. Reads, sends and
 * lab actions stay allowed, as they would be on a real server while mail is in flight.
 */
import { gridStoreOf } from './grid.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Emitter } from '../base/emitter.ts';
import { MAX_LAB_TIME, parseDuration } from '../base/clock.ts';
import { createLab, type Lab } from '../lab/lab.ts';
import type { LabConfig } from '../config/lab.ts';
import { expandScenarioArgs, formatError, loadScenarioFile, parseScenario, type Loaded } from '../scenario/load.ts';
import { recordScenario } from '../scenario/record.ts';
import { runStep, stepKind } from '../scenario/run.ts';
import type { ApiErrorCode, EventMessage, LabSnapshot, OpenedFile, RecordedScenario, ReloadOutcome, ResponseOf, ScenarioSummary, ScenarioView, StepResultView, StepRun } from './contract.ts';
import { errorView, FileWatch, RecentFiles } from './files.ts';
import { runOneStep, stepName, stepView } from './steps.ts';
import { labEventView, labSnapshot, stoppedSnapshot } from './views.ts';
import { TerminalService, type TerminalEvent, type TerminalOwner } from '../terminal/service.ts';

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
  /** Where the recent-files list is kept (the desktop app: its user-data folder); in memory when absent. */
  recentFile?: string;
  /**
   * Lab time follows real time, this many times as fast (`serve --time-scale N`): queue retries,
   * lifetimes and bounces happen by themselves. Unset: the virtual clock, moved only by steps.
   */
  timeScale?: number;
  /**
   * The most bytes of capture any lab of this session keeps (a classroom's capture per lab): a
   * scenario's own `settings.captureLimit` applies when it is lower.
   */
  captureLimit?: number;
}

type Opened = Extract<Loaded, { ok: true }>;

export class ApiSession {
  readonly events = new Emitter<EventMessage>();
  readonly options: ApiSessionOptions;
  #opened?: Opened;
  #lab?: Lab;
  #terminals?: TerminalService;
  #workspace?: string;
  #unsubscribe?: () => void;
  #next = 0;
  #results: StepResultView[] = [];
  #busy = false;
  #diskPending = false;
  /** The open scenario's file on disk, watched; none for text a browser sent. */
  #watch?: FileWatch;
  readonly recent: RecentFiles;

  constructor(options: ApiSessionOptions) {
    this.options = options;
    this.recent = new RecentFiles(options.recentFile);
  }

  listScenarios(): ScenarioSummary[] {
    const seen = new Set<string>();
    return expandScenarioArgs([this.options.scenariosDir]).files.map((file): ScenarioSummary => {
      const loaded = loadScenarioFile(file);
      const base = path.basename(file);
      if (!loaded.ok) {
        return { id: base.replace(/\.ya?ml$/i, ''), title: base, level: 'beginner', file: base, errors: loaded.errors.map((e) => formatError({ ...e, file: base })) };
      }
      const s = loaded.scenario;
      const summary: ScenarioSummary = { id: loaded.id, title: s.title, level: s.level, minutes: s.minutes, file: base };
      if (s.summary) summary.summary = s.summary;
      if (s.order !== undefined) summary.order = s.order;
      if (seen.has(loaded.id)) summary.errors = [`${base}: scenario id ${loaded.id} is used by an earlier file`];
      seen.add(loaded.id);
      return summary;
    }).sort(courseOrder);
  }

  /** The running lab, or a `no-lab` refusal. */
  get lab(): Lab {
    if (!this.#lab) throw new ApiFailure('no-lab', this.#opened ? 'the lab is not running; start it first' : 'no scenario is open; open one first');
    return this.#lab;
  }

  /** The running lab's terminal sessions (app/terminal/). */
  get terminals(): TerminalService {
    const lab = this.lab;
    if (!this.#terminals) this.#terminals = new TerminalService(lab, (e) => this.events.emit(terminalEvent(e)));
    return this.#terminals;
  }

  /** A connection (a page's socket) closed: the terminal sessions it opened close with it (docs/ui.md, "Terminal"). */
  closeTerminalsOf(owner: TerminalOwner): void {
    this.#terminals?.closeOwnedBy(owner);
  }

  get running(): boolean {
    return this.#lab !== undefined;
  }

  openScenario(id: string): Promise<ScenarioView> {
    return this.#exclusive(async () => {
      const summary = this.listScenarios().find((s) => s.id === id && !s.errors);
      if (!summary) throw new ApiFailure('not-found', `no loadable scenario "${id}" in ${this.options.scenariosDir}`);
      const file = path.resolve(this.options.scenariosDir, summary.file);
      const loaded = loadScenarioFile(file);
      if (!loaded.ok) throw new ApiFailure('failed', loaded.errors.map(formatError).join('\n'));
      await this.#replace(loaded, file);
      return this.scenarioView();
    });
  }

  /** Open scenario text a browser read from the user's disk (no path: nothing to watch). */
  openText(name: string, text: string): Promise<OpenedFile> {
    return this.#exclusive(async () => {
      const loaded = parseScenario(text, name);
      if (!loaded.ok) return { file: name, errors: loaded.errors.map(errorView) };
      await this.#replace(loaded, undefined);
      return { file: name, scenario: this.scenarioView(), errors: [] };
    });
  }

  /** Validate text without opening it (a folder the browser picked: each file's verdict). */
  checkText(name: string, text: string): OpenedFile & { id?: string; title?: string } {
    const loaded = parseScenario(text, name);
    return loaded.ok ? { file: name, id: loaded.id, title: loaded.scenario.title, errors: [] } : { file: name, errors: loaded.errors.map(errorView) };
  }

  /**
   * Open a scenario file by path: the desktop's Open dialog and Open Recent (never a path from the
   * renderer). It is watched, and joins the recent files.
   */
  openFile(file: string, origin: 'dialog' | 'recent' = 'dialog'): Promise<OpenedFile> {
    return this.#exclusive(async () => {
      const absolute = path.resolve(file);
      if (origin === 'recent' && !this.recent.has(absolute)) throw new ApiFailure('not-found', `${absolute} is not in the recent files`);
      const loaded = loadScenarioFile(absolute);
      if (!loaded.ok) return { file: absolute, errors: loaded.errors.map(errorView) };
      await this.#replace(loaded, absolute);
      const view = this.scenarioView();
      this.events.emit({ event: 'scenario.file', payload: { status: 'opened', file: absolute, scenario: view } });
      return { file: absolute, scenario: view, errors: [] };
    });
  }

  /** List another folder's scenarios (the desktop's Open Folder). */
  openFolder(dir: string): ScenarioSummary[] {
    const absolute = path.resolve(dir);
    if (!fs.statSync(absolute, { throwIfNoEntry: false })?.isDirectory()) throw new ApiFailure('not-found', `${absolute} is not a folder`);
    this.options.scenariosDir = absolute;
    this.events.emit({ event: 'scenario.file', payload: { status: 'folder', file: absolute } });
    return this.listScenarios();
  }

  /**
   * The open scenario's file changed (the watch, or the user asked): only the story, title or level
   * changed → applied, the lab keeps running; the lab or steps changed → `restart` replaces the
   * scenario (lab stopped), else nothing changes and the caller asks the user.
   */
  reload(restart: boolean): Promise<ReloadOutcome> {
    return this.#exclusive(async () => {
      const o = this.#requireScenario();
      const file = this.#watch?.file;
      if (!file) throw new ApiFailure('not-found', `${o.id} was not opened from a file on disk; open the file again`);
      const loaded = loadScenarioFile(file);
      return this.#applyReload(loaded, file, restart);
    });
  }

  /** Save the running lab as a scenario (app/scenario/record.ts). */
  record(title?: string): RecordedScenario {
    const lab = this.lab;
    const o = this.#requireScenario();
    const id = `${o.id}-recorded`;
    const recorded = recordScenario(lab, {
      id, title: title ?? `${o.scenario.title} (recorded)`, level: o.scenario.level,
      story: `Recorded in Postcard Lab from "${o.scenario.title}": the lab as it stood before the first message, then what was sent and changed, and the outcomes.`,
    });
    return { ...recorded, fileName: `${id}.yaml` };
  }

  scenarioView(): ScenarioView {
    const o = this.#requireScenario();
    const s = o.scenario;
    return { id: o.id, title: s.title, level: s.level, minutes: s.minutes, story: s.story, steps: s.steps.map((step, i) => stepView(step, i)) };
  }

  /**
   * Start the open scenario's lab afresh (a running one is stopped first): a new workspace, step 1.
   * With `keepChanges` the new lab starts from the running lab's organisations (security tables,
   * accounts, inbound policy and firewalls as the learner left them) instead of the file's.
   */
  startLab(keepChanges = false): Promise<LabSnapshot> {
    return this.#exclusive(async () => {
      const o = this.#requireScenario();
      const config = keepChanges && this.#lab ? currentConfig(this.#lab) : this.#labConfig(o);
      await this.#stopLab();
      this.#resetCursor();
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-lab-ui-'));
      try {
        this.#lab = await createLab(config, { workspace, seed: this.options.seed ?? o.scenario.lab.seed, keyCache: this.options.keyCache,
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

  /** What a front-end that (re)connects needs to resume: the open scenario, the lab's status, the cursor. */
  current(): ResponseOf<'currentScenario'> {
    return { ...(this.#opened ? { scenario: this.scenarioView() } : {}), status: this.#lab ? 'running' : 'stopped', nextStep: this.#next, results: this.#results };
  }

  /**
   * Move the cursor back to step `to` so a failed step can run again after a fix. The messages
   * its send steps (and later ones) queued keep their history in the queue; sending them again
   * records the new attempt under the same id, so the expectations read the new one.
   */
  rewind(to: number): Promise<ResponseOf<'rewindSteps'>> {
    return this.#exclusive(async () => {
      const steps = this.#requireScenario().scenario.steps;
      const lab = this.lab;
      if (to > this.#next || to >= steps.length) throw new ApiFailure('invalid-payload', `rewindSteps: step ${to + 1} has not run yet (the next step is ${this.#next + 1})`);
      for (const step of steps.slice(to)) if ('send' in step) lab.messages.delete(step.send.id);
      this.#next = to;
      this.#results = this.#results.filter((r) => r.index < to);
      this.#changed();
      return { next: this.#next, results: this.#results };
    });
  }

  /** Rehearsal: the clock moves as an `advance` step moves it (retries and lifetimes fall due). */
  async advanceClock(by: string | number): Promise<ResponseOf<'advanceClock'>> {
    const lab = this.lab;
    // The contract bounds `by` (at most 100 years); a clock that would pass the last date it can
    // stand at is the request's fault too, and is refused before the clock moves.
    const target = lab.clock.now() + (parseDuration(by) ?? 0);
    if (target > MAX_LAB_TIME) {
      throw new ApiFailure('invalid-payload', `advanceClock: payload.by: ${JSON.stringify(by)} would move the lab clock past ${new Date(MAX_LAB_TIME).toISOString()}, the latest time it can stand at`);
    }
    const r = await runStep(lab, { advance: by });
    if (r.status !== 'passed') throw new ApiFailure('failed', r.message);
    return { now: lab.clock.now(), snapshot: this.snapshot() };
  }

  /** Stop the lab and forget everything (the transport is closing). */
  async close(): Promise<void> {
    this.#watch?.close();
    this.#watch = undefined;
    gridStoreOf(this).dispose();
    await this.#stopLab();
  }

  async #replace(loaded: Opened, file: string | undefined): Promise<void> {
    await this.#stopLab();
    this.#opened = loaded;
    this.#resetCursor();
    this.#watch?.close();
    this.#watch = undefined;
    if (file) {
      this.recent.add(file);
      this.#watch = new FileWatch(file, fs.readFileSync(file, 'utf8'), () => void this.#onDisk(file));
    }
    this.#changed();
  }

  async #applyReload(loaded: Loaded, file: string, restart: boolean): Promise<ReloadOutcome> {
    if (!loaded.ok) return { outcome: 'invalid', file, errors: loaded.errors.map(errorView) };
    const o = this.#requireScenario();
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (same(loaded.scenario, o.scenario) && loaded.id === o.id) return { outcome: 'unchanged', file, scenario: this.scenarioView(), errors: [] };
    if (loaded.id === o.id && same(loaded.scenario.lab, o.scenario.lab) && same(loaded.scenario.steps, o.scenario.steps)) {
      // Only words for the trainer changed: the running lab and the step cursor stay.
      this.#opened = loaded;
      return { outcome: 'story-updated', file, scenario: this.scenarioView(), errors: [] };
    }
    if (!restart) return { outcome: 'lab-changed', file, errors: [] };
    await this.#replace(loaded, file);
    return { outcome: 'reopened', file, scenario: this.scenarioView(), errors: [] };
  }

  /** The watch saw new text: apply a story change, announce the rest (the UI asks the user). */
  async #onDisk(file: string): Promise<void> {
    if (this.#watch?.file !== file) return;
    if (this.#busy) {
      // A step is running: look again when it is done.
      this.#diskPending = true;
      return;
    }
    let r: ReloadOutcome;
    try {
      r = await this.#exclusive(async () => this.#applyReload(loadScenarioFile(file), file, false));
    } catch {
      return; // busy or closed: the user can still reload by hand
    }
    if (r.outcome === 'unchanged' || r.outcome === 'reopened') return;
    this.events.emit({ event: 'scenario.file', payload: { status: r.outcome, file, ...(r.scenario ? { scenario: r.scenario } : {}), ...(r.errors.length ? { errors: r.errors } : {}) } });
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
    this.#terminals?.closeAll();
    this.#terminals = undefined;
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
      if (this.#diskPending && this.#watch) {
        this.#diskPending = false;
        void this.#onDisk(this.#watch.file);
      }
    }
  }
}

function terminalEvent(e: TerminalEvent): EventMessage {
  switch (e.type) {
    case 'output': return { event: 'terminal.output', payload: { session: e.session, text: e.text, kind: e.kind } };
    case 'tls': return { event: 'terminal.tls', payload: { session: e.session, certificate: e.certificate } };
    case 'closed': return { event: 'terminal.closed', payload: { session: e.session, reason: e.reason } };
    default: {
      const never: never = e;
      throw new Error(`unhandled terminal event ${JSON.stringify(never)}`);
    }
  }
}

const LEVELS = ['beginner', 'intermediate', 'advanced'];

/** A course: level first, then the scenario's `order`, then its title; broken files last. */
function courseOrder(a: ScenarioSummary, b: ScenarioSummary): number {
  return Number(!!a.errors) - Number(!!b.errors)
    || LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level)
    || (a.order ?? Number.MAX_SAFE_INTEGER) - (b.order ?? Number.MAX_SAFE_INTEGER)
    || a.title.localeCompare(b.title);
}

/** The lab's configuration as it stands now: each server's own (changed) organisation, the paths' firewalls. */
function currentConfig(lab: Lab): LabConfig {
  const orgs = lab.config.orgs.map((org) => lab.servers.get(org.id)?.config ?? org);
  // Each declared path as it stands (a firewall set by hand replaced its config; the given one is untouched).
  const paths = lab.paths.filter((p) => p.declared).map((p) => p.config);
  return structuredClone({ ...lab.config, orgs, paths, dns: lab.config.dns });
}
