/**
 * Steps as the UI shows them (docs/scenario-format.md): names and one-line summaries. Running a step is the
 * headless runner's `runStep` (app/scenario/run.ts) — one implementation for both front-ends.
 * The one difference is a checkpoint: in the UI the learner makes its predicate true, so
 * a checkpoint that does not hold yet waits (`pending`) instead of applying its solution, unless
 * the learner asks for the solution ("Show me").
 */
import type { Lab } from '../lab/lab.ts';
import type { Step } from '../scenario/schema.ts';
import { runStep, stepKind, stepName } from '../scenario/run.ts';
import { checkPredicate } from '../scenario/predicate.ts';
import type { StepStatus, StepView } from './contract.ts';

export { stepName } from '../scenario/run.ts';

export interface StepOutcome {
  status: StepStatus;
  message: string;
}

/** Run one step for a front-end; `solve: false` leaves an unmet checkpoint to the learner. */
export async function runOneStep(lab: Lab, step: Step, solve: boolean): Promise<StepOutcome> {
  if ('checkpoint' in step && !solve) {
    // The hint says what is missing or what would fail (a wrong password: the partner refuses the logon), never the password.
    const check = checkPredicate(lab, step.checkpoint.when);
    if (!check.ok) return { status: 'pending', message: `not yet: ${check.hint}` };
    return { status: 'passed', message: 'done: the lab matches this checkpoint, and it works' };
  }
  return runStep(lab, step);
}

/** One line a trainer can read aloud. */
export function stepSummary(step: Step): string {
  if ('send' in step) {
    const to = [step.send.to].flat().join(', ');
    return `${step.send.from} sends "${step.send.subject}" to ${to}`;
  }
  if ('expect' in step) {
    const e = step.expect;
    const parts = [
      e.outcome && `is ${e.outcome}`,
      e.wire && `wire: ${e.wire}${e.at !== 'any' ? ` at the ${e.at} view` : ''}`,
      e.bounce && `bounce ${[e.bounce.status, e.bounce.diagnostic].filter(Boolean).join(' ')}`,
      e.keyBits && `${e.keyBits}-bit key`,
      e.downgraded !== undefined && (e.downgraded ? 'downgraded' : 'not downgraded'),
      e.mailbox && `in ${e.mailbox}'s mailbox`,
      e.transcript && 'transcript check',
    ].filter(Boolean);
    return `${e.message} ${parts.join(', ') || 'settles'}`;
  }
  if ('checkpoint' in step) return step.checkpoint.ask;
  if ('advance' in step) return `the clock moves ${step.advance} forward`;
  const change = Object.keys(step.action).find((k) => k !== 'org') ?? 'change';
  return `${step.action.org}: ${change.replace(/([A-Z])/g, ' $1').toLowerCase()}`;
}

export function stepView(step: Step, index: number): StepView {
  return {
    index, kind: stepKind(step), name: stepName(step), summary: stepSummary(step),
    ...('checkpoint' in step ? { ask: step.checkpoint.ask } : {}),
    ...('send' in step ? { message: step.send.id } : 'expect' in step ? { message: step.expect.message } : {}),
  };
}
