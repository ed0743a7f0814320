/**
 * `drop`: swallows everything in the chosen directions — silence, until one end's timeout gives
 * up (a black-holing firewall, Toxiproxy's timeout toxic without the close). Each swallowed chunk
 * is recorded as a zero-byte deliver with a `dropped` mark, so the views show what vanished.
 */
import { z } from 'zod';
import { appliesTo, defineStage, deliver, directionSchema, dropped } from './stage.ts';

const schema = z.strictObject({ dir: directionSchema.default('both') });

export const drop = defineStage({
  name: 'drop',
  summary: 'swallows every byte (silence until a timeout)',
  schema,
  create(config) {
    return {
      name: 'drop',
      push(dir, bytes) {
        if (!appliesTo(config.dir, dir)) return [deliver(dir, bytes)];
        return [deliver(dir, Buffer.alloc(0), [dropped('drop', bytes, 'swallowed')])];
      },
    };
  },
});
