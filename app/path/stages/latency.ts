/**
 * `latency`: every chunk waits `ms` (± `jitter`, drawn from the lab's seeded rng) before it goes
 * on, like Toxiproxy's latency toxic. The delay counts from the moment the chunk arrived; the proxy
 * keeps a direction's chunks in order, so jitter never reorders bytes (TCP would not either).
 */
import { z } from 'zod';
import { appliesTo, defineStage, deliver, directionSchema } from './stage.ts';

const schema = z.strictObject({
  ms: z.number().min(0).max(600_000).default(0),
  jitter: z.number().min(0).max(600_000).default(0),
  dir: directionSchema.default('both'),
});

export const latency = defineStage({
  name: 'latency',
  summary: 'delays every chunk by ms ± jitter (seeded)',
  schema,
  create(config, ctx) {
    return {
      name: 'latency',
      push(dir, bytes) {
        if (!appliesTo(config.dir, dir)) return [deliver(dir, bytes)];
        const jitter = config.jitter > 0 ? (ctx.rng.next() * 2 - 1) * config.jitter : 0;
        return [deliver(dir, bytes, undefined, Math.max(0, Math.round(config.ms + jitter)))];
      },
    };
  },
});
