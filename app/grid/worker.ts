/**
 * A grid worker process (pool.ts forks it): runs the cells its parent sends, several at a time,
 * and sends each result back. A cell is a lab run on loopback, mostly waiting on sockets, so a
 * worker keeps a few in flight; the parent keeps one worker per core.
 */
import { runCell, type CellOptions } from './cell.ts';
import type { GridCell } from './axes.ts';

export type ToWorker = { type: 'run'; cell: GridCell; options: CellOptions; firewall?: unknown } | { type: 'stop' };

/**
 * An error no cell caught (a bug: a socket's callback that throws) ends this worker, as it would any
 * Node process; its parent is told what and where in one line first (the error and the first frame
 * of our code), and reports it with the cells left, rather than a stack trace on the user's stderr.
 */
export function crashLine(error: unknown): string {
  if (!(error instanceof Error)) return `non-error thrown: ${String(error)}`;
  const frame = error.stack?.split('\n').find((line) => /^\s+at /.test(line) && !line.includes('node:'));
  return `${error.name}: ${error.message}${frame ? ` (${frame.trim().replace(/^at /, 'at ')})` : ''}`;
}

const crash = (error: unknown) => {
  // The exit waits for the line to reach the parent; with no channel left there is no one to tell.
  if (!process.send || !process.connected) process.exit(70);
  process.send({ type: 'crashed', error: crashLine(error) }, () => process.exit(70));
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

process.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    process.disconnect?.();
    return;
  }
  runCell(message.cell, message.options, message.firewall).then(
    (result) => process.send?.({ type: 'result', result }),
    (error: Error) => process.send?.({ type: 'failed', index: message.cell.index, error: error.message }),
  );
});
process.send?.({ type: 'ready' });
