/**
 * `reset`: the connection is reset after `after` bytes — counted from the start of the connection
 * in `dir`, or (`from: data`) counted in the message content after DATA's 354, so the reset lands
 * mid-DATA. The bytes up to the limit go on; the rest is recorded as dropped. A sender must then
 * treat the message as not accepted (no 250 after the final `.`) and retry (RFC 5321 §6.1).
 */
import { z } from 'zod';
import type { Direction } from '../../capture/tap.ts';
import type { PipelineOutput } from '../pipeline.ts';
import { smtpStage } from './smtp-stage.ts';
import { appliesTo, defineStage, deliver, directionSchema, dropped } from './stage.ts';
import type { Stage } from './stage.ts';

const schema = z.strictObject({
  after: z.number().int().min(0).default(0),
  from: z.enum(['open', 'data']).default('open'),
  /** Which direction's bytes count (`from: data` counts the client's content). */
  dir: directionSchema.default('c2s'),
});

type Config = z.output<typeof schema>;

const reason = (config: Config): string =>
  config.from === 'data'
    ? `reset: connection reset after ${config.after} bytes of message content`
    : `reset: connection reset after ${config.after} bytes`;

/** Count raw bytes from the start of the connection. */
function byteReset(config: Config): Stage {
  let seen = 0;
  let done = false;
  return {
    name: 'reset',
    push(dir: Direction, bytes: Buffer): PipelineOutput[] {
      if (done) return [];
      if (!appliesTo(config.dir, dir) || seen + bytes.length <= config.after) {
        if (appliesTo(config.dir, dir)) seen += bytes.length;
        return [deliver(dir, bytes)];
      }
      done = true;
      const keep = config.after - seen;
      return [
        deliver(dir, bytes.subarray(0, keep)),
        deliver(dir, Buffer.alloc(0), [dropped('reset', bytes.subarray(keep), 'lost in the reset')]),
        { type: 'close', how: 'reset', reason: reason(config) },
      ];
    },
  };
}

/** Count message content, line by line as the SMTP stages frame it. */
function contentReset(config: Config): Stage {
  let seen = 0;
  return smtpStage('reset', {
    content(unit) {
      if (seen + unit.bytes.length <= config.after) {
        seen += unit.bytes.length;
        return undefined;
      }
      const keep = config.after - seen;
      return {
        bytes: unit.bytes.subarray(0, keep),
        close: { how: 'reset', reason: reason(config) },
        note: `content cut after ${config.after} bytes, the rest lost in the reset`,
      };
    },
  });
}

export const reset = defineStage({
  name: 'reset',
  summary: 'resets the connection after N bytes, or N bytes into the message content',
  schema,
  create: (config) => (config.from === 'data' ? contentReset(config) : byteReset(config)),
});
