/**
 * Steps as the UI shows them (SPEC §9): names and one-line summaries. Running a step is the
 * headless runner's `runStep` (app/scenario/run.ts) — one implementation for both front-ends.
 */
import type { Step } from '../scenario/schema.ts';
import { stepKind, stepName } from '../scenario/run.ts';
import type { StepView } from './contract.ts';

export { runStep as runOneStep, stepName } from '../scenario/run.ts';

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
  };
}
