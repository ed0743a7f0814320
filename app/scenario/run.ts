/**
 * The scenario runner: one lab per scenario, steps in order (docs/scenario-format.md). The CLI, the test suite
 * (every file in scenarios/ is a test) and the UI's "run unattended" all come through here.
 */
import path from 'node:path';
import type { Scenario, Step } from './schema.ts';
import { createLab, type Lab } from '../lab/lab.ts';
import { checkDuration, checkLabTime, LAB_DURATION } from '../base/clock.ts';
import { checkExpect } from './expect.ts';
import { checkPredicate, predicateHolds } from './predicate.ts';
import { LabError } from '../base/errors.ts';
import { formatError, type ScenarioError } from './load.ts';

export type StepKind = 'send' | 'action' | 'advance' | 'expect' | 'checkpoint';

export interface StepResult {
  index: number;
  kind: StepKind;
  status: 'passed' | 'failed' | 'error' | 'skipped';
  message: string;
  /** For checkpoints: the id; for expects: the message id (JUnit test-case names). */
  name: string;
}

export interface ScenarioResult {
  id: string;
  file: string;
  title: string;
  /**
   * `error`: the lab would not run, a step failed to run, or the file did not load (`invalid`);
   * `skipped`: never started, as a run interrupted before it (its steps are all `skipped`).
   */
  status: 'passed' | 'failed' | 'error' | 'skipped';
  durationMs: number;
  steps: StepResult[];
  error?: string;
  /** The seed the lab ran with; null when no lab ran because the file did not load. */
  seed: number | null;
  /**
   * The `--firewall-config` file of the run, and whether it was applied: a scenario with no
   * firewall path runs unchanged (and is run again without it).
   */
  firewallConfig?: { file: string; applied: boolean };
  /** The loader's errors when the file did not load (then no lab ran, and there are no steps). */
  invalid?: ScenarioError[];
}

export interface RunOptions {
  seed?: number;
  /** Parent folder; each scenario gets `<dir>/<id>`. A temporary folder when absent. */
  workspace?: string;
  onStep?(result: StepResult): void;
  /** Called with the lab before it stops (exports: pcap, transcripts). */
  beforeStop?(lab: Lab): Promise<void> | void;
  /**
   * Ends the scenario when aborted (`run` on Ctrl+C): the step it is at stops waiting and is an
   * error, `interrupted by <reason>`; the steps after it are skipped. Exports still see the lab as
   * it stands, without waiting for its sessions to close (they are what hung).
   */
  signal?: AbortSignal;
}

export function stepKind(step: Step): StepKind {
  return Object.keys(step)[0] as StepKind;
}

/** The runner's short name of a step (also the JUnit test-case name). */
export function stepName(step: Step): string {
  if ('send' in step) return step.send.id;
  if ('expect' in step) return `${step.expect.message}${step.expect.outcome ? ` ${step.expect.outcome}` : ''}${step.expect.wire ? ` ${step.expect.wire}` : ''}`;
  if ('checkpoint' in step) return step.checkpoint.id;
  if ('advance' in step) return `advance ${step.advance}`;
  return `${step.action.org}: ${Object.keys(step.action).filter((k) => k !== 'org').join(', ')}`;
}

/** Run one step on a live lab, as the headless runner and the UI's "next step" both do. */
export async function runStep(lab: Lab, step: Step): Promise<{ status: StepResult['status']; message: string }> {
  if ('send' in step) {
    const sent = lab.send(step.send);
    return { status: 'passed', message: `queued ${sent.entryIds.join(', ')} at ${sent.org}` };
  }
  if ('action' in step) {
    lab.applyAction(step.action);
    return { status: 'passed', message: 'applied' };
  }
  if ('advance' in step) {
    await lab.idle();
    // The loader and the API bound the duration; a clock that would leave what a date can say is
    // refused before anything moves or is recorded, so a failed step leaves the lab as it was.
    const checked = checkDuration(step.advance, LAB_DURATION);
    if (!checked.ok) throw new LabError(`advance: ${checked.message}`);
    checkLabTime(lab.clock.now() + checked.ms);
    lab.journal.advanced(step.advance);
    lab.advanceTo(lab.clock.now() + checked.ms);
    await lab.idle();
    return { status: 'passed', message: `clock at ${new Date(lab.clock.now()).toISOString()}` };
  }
  if ('expect' in step) {
    const r = await checkExpect(lab, step.expect);
    return { status: r.ok ? 'passed' : 'failed', message: r.message };
  }
  const c = step.checkpoint;
  if (predicateHolds(lab, c.when)) return { status: 'passed', message: 'already true' };
  // Headless: apply the solution the learner would have made in the UI, then check again.
  for (const sub of c.solution) {
    const r = await runStep(lab, sub);
    if (r.status !== 'passed') return { status: r.status, message: `solution step failed: ${r.message}` };
  }
  const check = checkPredicate(lab, c.when);
  // The same hint the window gives a learner (a refused logon, a partner without STARTTLS), so a
  // headless run says why, not only that.
  return check.ok
    ? { status: 'passed', message: 'solution applied' }
    : { status: 'failed', message: `the solution steps did not make "${c.ask}" true: ${check.hint}` };
}

/** Every step of a scenario as not run, with why (a scenario a run never started). */
export function skippedSteps(scenario: Scenario, why: string, from = 0): StepResult[] {
  return scenario.steps.flatMap((step, index) => (index < from ? [] : [{ index, kind: stepKind(step), status: 'skipped' as const, message: `not run: ${why}`, name: stepName(step) }]));
}

/** The seed a scenario runs with: the run's `--seed`, else the lab's, else 1. */
export function scenarioSeed(scenario: Scenario, seed?: number): number {
  return seed ?? scenario.lab.seed ?? 1;
}

/** A scenario the run never started (it was interrupted before): every step `skipped`, with why. */
export function notRun(file: string, id: string, scenario: Scenario, why: string, seed?: number): ScenarioResult {
  return { id, file, title: scenario.title, status: 'skipped', durationMs: 0, steps: skippedSteps(scenario, why), seed: scenarioSeed(scenario, seed) };
}

/**
 * A file that did not load, as a result the reports show beside the others: an error whose text is
 * its first error (`file:line:column: key.path: message`), all of them in `invalid`. It is named as
 * the loader would have named it, by its file name.
 */
export function invalidResult(file: string, errors: ScenarioError[]): ScenarioResult {
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return {
    id: path.basename(file).replace(/\.ya?ml$/i, ''), file, title: path.basename(file), status: 'error', durationMs: 0, steps: [],
    seed: null, error: `does not load: ${formatError(errors[0])}${more}`, invalid: errors,
  };
}

/** Resolves, with the step's result, once `signal` is aborted (at once if it is already). */
function interruption(signal: AbortSignal): Promise<{ status: 'error'; message: string }> {
  const result = () => ({ status: 'error' as const, message: `interrupted by ${String(signal.reason)}` });
  if (signal.aborted) return Promise.resolve(result());
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(result()), { once: true }));
}

export async function runScenario(file: string, id: string, scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const seed = scenarioSeed(scenario, options.seed);
  const result: ScenarioResult = { id, file, title: scenario.title, status: 'passed', durationMs: 0, steps: [], seed };
  const interrupted = options.signal && interruption(options.signal);
  let lab: Lab | undefined;
  try {
    lab = await createLab(scenario.lab, { seed, workspace: options.workspace ? path.join(options.workspace, id) : undefined });
    for (const [index, step] of scenario.steps.entries()) {
      let r: { status: StepResult['status']; message: string };
      try {
        // No step starts once the signal has come. A step it cuts short is left behind: its waits
        // hold no timer that keeps the process (app/base/timers.ts unrefs them), and should it
        // fail once the lab has stopped, the race has a handler on it, so that is not unhandled.
        r = await (!interrupted ? runStep(lab, step) : options.signal!.aborted ? interrupted : Promise.race([runStep(lab, step), interrupted]));
      } catch (error) {
        r = { status: 'error', message: (error as Error).message };
      }
      const stepResult: StepResult = { index, kind: stepKind(step), status: r.status, message: r.message, name: stepName(step) };
      result.steps.push(stepResult);
      options.onStep?.(stepResult);
      if (r.status === 'error') {
        result.status = 'error';
        result.error = `step ${index + 1} (${stepResult.kind} ${stepResult.name}): ${r.message}`;
        // The steps after it are in the reports too, as not run: a tester sees which checks never ran.
        const why = options.signal?.aborted ? `the run was interrupted at step ${index + 1}` : `step ${index + 1} ended the scenario with an error`;
        result.steps.push(...skippedSteps(scenario, why, index + 1));
        break;
      }
      if (r.status === 'failed') result.status = 'failed';
    }
    // The exports see every session to its end (app/lab/lab.ts, `wireClosed`), unless the run was
    // interrupted: then they show the lab as it stands, at once.
    if (options.beforeStop && !options.signal?.aborted) await lab.wireClosed();
    await options.beforeStop?.(lab);
  } catch (error) {
    result.status = 'error';
    result.error = (error as Error).message;
  } finally {
    await lab?.stop();
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}
