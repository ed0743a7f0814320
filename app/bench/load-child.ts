/**
 * A `load` or `up` figure in a process of its own (`benchLoadApart`, load.ts, forks this file), as
 * `postcard-lab up` runs a lab: its resident memory is the lab's alone, not what the bench's
 * earlier figures left behind in the bench's process (docs/bench.md, "`load` and `up`").
 */
import { benchLoad, type LoadFigure, type LoadOptions } from './load.ts';
import { realClock } from './measure.ts';

export type ToLoadChild = { type: 'run'; options: Omit<LoadOptions, 'clock' | 'progress'> };
export type FromLoadChild =
  | { type: 'ready' }
  | { type: 'progress'; line: string }
  | { type: 'result'; figure: LoadFigure }
  | { type: 'failed'; error: string };

const send = (m: FromLoadChild, then: () => void = () => undefined) => process.send?.(m, then);

process.once('message', (m: ToLoadChild) => {
  if (m?.type !== 'run') {
    send({ type: 'failed', error: `expected a run message, got ${JSON.stringify(m)}` }, () => process.disconnect());
    return;
  }
  benchLoad({ ...m.options, clock: realClock, progress: (line) => send({ type: 'progress', line }) }).then(
    (figure) => send({ type: 'result', figure }, () => process.disconnect()),
    (error: unknown) => send({ type: 'failed', error: error instanceof Error ? error.message : String(error) }, () => process.disconnect()),
  );
});
send({ type: 'ready' });
