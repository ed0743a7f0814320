/**
 * A grid worker process (pool.ts forks it): runs the cells its parent sends, several at a time,
 * and sends each result back. A cell is a lab run on loopback, mostly waiting on sockets, so a
 * worker keeps a few in flight; the parent keeps one worker per core.
 */
import { runCell, type CellOptions } from './cell.ts';
import type { GridCell } from './axes.ts';

export type ToWorker = { type: 'run'; cell: GridCell; options: CellOptions; firewall?: unknown } | { type: 'stop' };

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
