/**
 * `block`: refuses the connection when it opens (a firewall rule that denies port 25). The proxy
 * turns the `close` from `open()` into a refused connection (a reset right after accept).
 */
import { z } from 'zod';
import { defineStage } from './stage.ts';

export const block = defineStage({
  name: 'block',
  summary: 'refuses the connection at open',
  schema: z.strictObject({}),
  create() {
    return {
      name: 'block',
      open: () => [{ type: 'close', how: 'reset', reason: 'block: connection refused by the firewall' }],
      push: () => [],
    };
  },
});
