/**
 * `slicer`: cuts every chunk into segments of `size` bytes (± `variation`, seeded), optionally
 * `delayMs` apart — by default one byte per segment, like a person typing into telnet. Nothing
 * is changed, so no marks; the segmentation itself is what a line-aware box must survive.
 */
import { z } from 'zod';
import type { PipelineOutput } from '../pipeline.ts';
import { appliesTo, defineStage, deliver, directionSchema } from './stage.ts';

const schema = z.strictObject({
  size: z.number().int().min(1).default(1),
  variation: z.number().int().min(0).default(0),
  delayMs: z.number().min(0).max(60_000).default(0),
  dir: directionSchema.default('both'),
});

export const slicer = defineStage({
  name: 'slicer',
  summary: 'cuts chunks into small segments (default one byte each)',
  schema,
  create(config, ctx) {
    return {
      name: 'slicer',
      push(dir, bytes) {
        if (!appliesTo(config.dir, dir)) return [deliver(dir, bytes)];
        const out: PipelineOutput[] = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const spread = config.variation > 0 ? ctx.rng.int(2 * config.variation + 1) - config.variation : 0;
          const size = Math.max(1, config.size + spread);
          out.push(deliver(dir, bytes.subarray(at, at + size), undefined, i * config.delayMs));
          at += size;
        }
        return out;
      },
    };
  },
});
