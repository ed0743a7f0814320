/**
 * The stage contract and the stage registry (docs/stages.md, "How to write a new stage").
 *
 * A stage is one small, named fault or inspection rule. It is created per connection from a
 * config that its own zod schema validated, and it is fed the bytes of one direction at a time:
 *
 *            push('c2s', bytes)                       outputs
 *   client ─────────────────────►  ┌───────┐  ─────────────────────► towards the server
 *                                  │ stage │
 *   client ◄─────────────────────  └───────┘  ◄───────────────────── from the server
 *            outputs                          push('s2c', bytes)
 *
 * It answers with PipelineOutputs (app/path/pipeline.ts): bytes to deliver in either direction
 * (a reply it makes itself goes back to the sender), an optional delay, or a close. Every byte
 * it changes, drops or adds carries a StageMark with the stage's name and the original bytes, so
 * the three views (docs/lab.md, "Paths and capture points") show the rewrite. A deliver of zero bytes carries marks only (bytes
 * the stage swallowed). Stages never touch sockets or timers (sans-IO), and draw randomness only
 * from `ctx.rng`, so a seed replays a run.
 */
import { z } from 'zod';
import type { Direction, StageMark } from '../../capture/tap.ts';
import type { Rng } from '../../base/rng.ts';
import type { PipelineOutput } from '../pipeline.ts';

export interface StageContext {
  /** The stage's own random stream (the profile forks one per stage from the lab's seed). */
  rng: Rng;
  /** The connection id, for notes and close reasons. */
  conn: string;
  /**
   * Real milliseconds on a monotonic clock, supplied by the proxy. Only stages that meter time
   * (`bandwidth`) read it; without it they assume back-to-back chunks.
   */
  now?: () => number;
}

export interface Stage {
  readonly name: string;
  /** A client connected; a `close` refuses it (the `block` stage). */
  open?(): PipelineOutput[];
  /** Bytes that arrived travelling in `dir`. */
  push(dir: Direction, bytes: Buffer): PipelineOutput[];
  /** The sender in `dir` half-closed: flush whatever the stage still holds for that direction. */
  end?(dir: Direction): PipelineOutput[];
}

export interface StageDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  /** One line for docs and the UI: what the stage models. */
  summary: string;
  /** Validates (and fills defaults of) the data a scenario file gives the stage. */
  schema: S;
  create(config: z.output<S>, ctx: StageContext): Stage;
}

/** A definition with its config type erased, as the registry keeps it. */
export interface RegisteredStage {
  name: string;
  summary: string;
  schema: z.ZodType;
  create(config: unknown, ctx: StageContext): Stage;
}

/** Type a definition against its schema, then erase the config type for the registry. */
export function defineStage<S extends z.ZodType>(def: StageDefinition<S>): RegisteredStage {
  return {
    name: def.name,
    summary: def.summary,
    schema: def.schema,
    create: (config, ctx) => def.create(config as z.output<S>, ctx),
  };
}

export interface StageConfigIssue {
  stage: string;
  /** The key path inside the stage's config, e.g. `['rules', 0, 'match']`. */
  path: (string | number)[];
  message: string;
}

/** A config a stage rejected; the message names the stage and every offending key. */
export class StageConfigError extends Error {
  readonly issues: StageConfigIssue[];
  constructor(issues: StageConfigIssue[]) {
    super(issues.map(formatIssue).join('; '));
    this.name = 'StageConfigError';
    this.issues = issues;
  }
}

function formatIssue(issue: StageConfigIssue): string {
  const key = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `stage "${issue.stage}": ${key}${issue.message}`;
}

const registry = new Map<string, RegisteredStage>();

/** Add a stage to the registry; a second definition under the same name is a programming error. */
export function registerStage(def: RegisteredStage): void {
  if (registry.has(def.name)) throw new Error(`stage "${def.name}" is already registered`);
  registry.set(def.name, def);
}

export function stageNames(): string[] {
  return [...registry.keys()];
}

export function stageDefinition(name: string): RegisteredStage | undefined {
  return registry.get(name);
}

/** Validate `config` against the stage's schema and build the stage for one connection. */
export function createStage(name: string, config: unknown, ctx: StageContext): Stage {
  return stageFactory(name, config)(ctx);
}

/**
 * Validate a stage's config once and return what builds the stage for each connection: a relay
 * opens one pipeline per connection, and parsing the same config every time cost more than the
 * stages' own work on a short session (docs/bench.md, "Where the time goes").
 */
export function stageFactory(name: string, config: unknown): (ctx: StageContext) => Stage {
  const def = registry.get(name);
  if (!def) {
    throw new StageConfigError([{ stage: name, path: [], message: `unknown stage (known: ${stageNames().join(', ')})` }]);
  }
  const parsed = def.schema.safeParse(config ?? {});
  if (!parsed.success) {
    throw new StageConfigError(parsed.error.issues.map((i) => ({
      stage: name,
      path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      message: i.message,
    })));
  }
  return (ctx) => def.create(parsed.data, ctx);
}

// ── helpers every stage uses to build its outputs ───────────────────────────────────────────

export function deliver(dir: Direction, bytes: Buffer, marks?: StageMark[], delayMs?: number): PipelineOutput {
  const out: PipelineOutput = { type: 'deliver', dir, bytes };
  if (marks && marks.length > 0) out.marks = marks;
  if (delayMs !== undefined && delayMs > 0) out.delayMs = delayMs;
  return out;
}

export function changed(stage: string, original: Buffer, note?: string): StageMark {
  return note === undefined ? { stage, action: 'changed', original } : { stage, action: 'changed', original, note };
}

export function dropped(stage: string, original: Buffer, note?: string): StageMark {
  return note === undefined ? { stage, action: 'dropped', original } : { stage, action: 'dropped', original, note };
}

/** Bytes a stage let pass unchanged but logged (an ASA `match … log` action). */
export function logged(stage: string, original: Buffer, note?: string): StageMark {
  return note === undefined ? { stage, action: 'logged', original } : { stage, action: 'logged', original, note };
}

export function added(stage: string, note?: string): StageMark {
  return note === undefined ? { stage, action: 'added' } : { stage, action: 'added', note };
}

/** The schema fragment of stages that act on one direction or both. */
export const directionSchema = z.enum(['c2s', 's2c', 'both']);
export type DirectionChoice = z.output<typeof directionSchema>;

export function appliesTo(choice: DirectionChoice, dir: Direction): boolean {
  return choice === 'both' || choice === dir;
}
