/**
 * `bandwidth`: a link of `bytesPerSecond`, like Toxiproxy's bandwidth toxic. Each chunk is
 * delayed by the time the link needs to carry it after the chunks queued before it. The queue is
 * measured on `ctx.now` (real milliseconds from the proxy); without a clock each chunk is only
 * delayed by its own transmission time.
 */
import { z } from 'zod';
import type { Direction } from '../../capture/tap.ts';
import { appliesTo, defineStage, deliver, directionSchema } from './stage.ts';

const schema = z.strictObject({
  bytesPerSecond: z.number().positive(),
  dir: directionSchema.default('both'),
});

export const bandwidth = defineStage({
  name: 'bandwidth',
  summary: 'limits each direction to bytesPerSecond by delaying chunks',
  schema,
  create(config, ctx) {
    const busyUntil: Record<Direction, number> = { c2s: 0, s2c: 0 };
    return {
      name: 'bandwidth',
      push(dir, bytes) {
        if (!appliesTo(config.dir, dir)) return [deliver(dir, bytes)];
        const transmit = (bytes.length * 1000) / config.bytesPerSecond;
        if (!ctx.now) return [deliver(dir, bytes, undefined, Math.round(transmit))];
        const now = ctx.now();
        busyUntil[dir] = Math.max(now, busyUntil[dir]) + transmit;
        return [deliver(dir, bytes, undefined, Math.round(busyUntil[dir] - now))];
      },
    };
  },
});
