/**
 * The scenario file (docs/scenario-format.md), as a zod schema: a lab (app/config/schema.ts) plus
 * the steps that drive it, expectations and checkpoints. `scenarios/schema.json` is generated from
 * it (npm run schema), so editors can validate while a trainer writes.
 */
import { z } from 'zod';
import { domainName, duration, id, labAction, sendStep } from '../config/schema.ts';
import { lab } from '../config/lab.ts';

export const wireExpectation = z.enum(['cleartext', 'encrypted', 'no-leak']);

export const expectStep = z.strictObject({
  message: id,
  outcome: z.enum(['delivered', 'deferred', 'bounced']).optional(),
  bounce: z.strictObject({ status: z.string().optional(), diagnostic: z.string().optional() }).optional(),
  wire: wireExpectation.optional(),
  at: z.enum(['sender', 'wire', 'receiver', 'any']).default('any'),
  transcript: z.strictObject({ contains: z.union([z.string(), z.array(z.string())]).optional(), lacks: z.union([z.string(), z.array(z.string())]).optional() }).optional(),
  /** Text the queue's last error (the reason shown in the queue view and the bounce) contains. */
  reason: z.string().optional(),
  downgraded: z.boolean().optional(),
  /**
   * The TLS-RPT report (RFC 8460) the recipient domain would receive from the sender's server:
   * how many sessions succeeded, and how many failed with each result type.
   */
  tlsrpt: z.strictObject({
    successes: z.number().int().min(0).optional(),
    failures: z.record(z.string(), z.number().int().min(0)).optional(),
  }).optional(),
  keyBits: z.literal([40, 56, 128], { error: 'expected one of 40, 56, 128 (bits of an NTLM session key)' }).optional(),
  mailbox: z.string().optional(),
});

/** A predicate on the lab the learner must make true (docs/scenario-format.md). */
export const labPredicate = z.strictObject({
  org: id,
  security: z.looseObject({ domain: domainName }).optional(),
  account: z.looseObject({ domain: z.string(), user: z.string() }).optional(),
  inbound: z.looseObject({}).optional(),
});

const baseStep = z.union([
  z.strictObject({ send: sendStep }),
  z.strictObject({ action: labAction }),
  z.strictObject({ advance: duration }),
  z.strictObject({ expect: expectStep }),
]);

export const checkpointStep = z.strictObject({
  checkpoint: z.strictObject({
    id,
    ask: z.string().min(1),
    when: labPredicate,
    solution: z.array(baseStep).min(1, 'a checkpoint needs solution steps so the scenario also runs unattended'),
  }),
});

export const step = z.union([baseStep, checkpointStep]);

export const scenario = z.strictObject({
  id: id.optional(),
  title: z.string().min(1),
  level: z.enum(['beginner', 'intermediate', 'advanced']).default('beginner'),
  minutes: z.number().positive().optional(),
  /** One line for the scenario picker: what the learner does and sees. */
  summary: z.string().max(200).optional(),
  /** Place in the course within its level: the picker orders by level, then `order`, then title. */
  order: z.number().int().min(0).optional(),
  story: z.string().default(''),
  lab,
  steps: z.array(step).default([]),
});

export type Scenario = z.infer<typeof scenario>;
export type ExpectStep = z.infer<typeof expectStep>;
export type Step = z.infer<typeof step>;
export type LabPredicate = z.infer<typeof labPredicate>;
