/**
 * The named middlebox profiles (docs/stages.md, "Profiles") as chains of stages, and the spec a scenario file embeds
 * to pick one (`paths[].firewall`):
 *
 *   firewall: { profile: asa }
 *   firewall: { profile: pix-4.4, before: [{ slicer: {} }] }            # a telnet user's segments
 *   firewall: { profile: asa, stages: [{ latency: { ms: 80, jitter: 20 } }] }
 *   firewall: { profile: rewrite, with: { rewrite: { rules: [{ dir: s2c, match: "250-PIPELINING", action: drop }] } } }
 *   firewall: { config: "fixup protocol smtp 25" }                     # a pasted PIX/ASA configuration (vendor/)
 *
 *   client ──► before… ──► the profile's stages ──► stages… ──► server
 *
 * `with` adjusts the config of one of the profile's own stages (merged over the profile's config).
 * `before` and `stages` add stages on the client and the server side. A bare string (`asa`) is
 * short for `{ profile: asa }`; a stage may be written `slicer` for `{ slicer: {} }`.
 */
import { z } from 'zod';
import { passPipeline, type Pipeline } from './pipeline.ts';
import { createChain } from './chain.ts';
import { stageDefinition, stageFactory, stageNames } from './stages/index.ts';
import type { StageContext } from './stages/index.ts';
import { parseCiscoConfig } from './vendor/cisco-parse.ts';

export interface StageRef {
  name: string;
  config: Record<string, unknown>;
}

/**
 * A firewall profile: a named chain of registered stages (docs/stages.md), with the words its
 * vendor uses for it. Registered like a stage (`registerFirewallProfile`); the spec schema, the
 * firewall view, the grid's list of firewalls and the Rehearse tab's list (through the lab snapshot) read the
 * registry, so a new profile is one call.
 */
export interface FirewallProfile {
  name: string;
  /** What it does, one line. */
  summary: string;
  stages: StageRef[];
  /** The vendor's command that turns it on, for lists (`inspect esmtp (default map)`). */
  label?: string;
  /** The vendor's command that turns its SMTP inspection off (`no inspect esmtp`). */
  off?: string;
}

const BUILT_IN = [
  { name: 'pass', summary: 'forwards bytes unchanged', label: 'no inspection (no fixup protocol smtp 25 / no inspect esmtp)', stages: [] },
  {
    name: 'pix-4.4', summary: 'PIX 4.4 fixup protocol smtp: banner all *, denied commands overwritten with Xs',
    label: 'fixup protocol smtp 25 (PIX 4.4)', off: 'no fixup protocol smtp 25',
    stages: [{ name: 'mask-banner-44', config: {} }, { name: 'command-filter', config: { style: 'x' } }],
  },
  {
    name: 'pix-5.1', summary: 'PIX 5.1+ Mailguard: banner masked, denied commands overwritten with NOOP',
    label: 'fixup protocol smtp 25 (Mailguard)', off: 'no fixup protocol smtp 25',
    stages: [{ name: 'mask-banner', config: {} }, { name: 'command-filter', config: { style: 'noop' } }],
  },
  {
    name: 'asa', summary: 'ASA inspect esmtp, default map: banner masked, STARTTLS masked (XXXXXXXA), limits enforced',
    label: 'inspect esmtp (default map)', off: 'no inspect esmtp',
    stages: [{ name: 'mask-banner', config: {} }, { name: 'esmtp-inspect', config: {} }],
  },
  { name: 'strip-starttls', summary: 'deletes STARTTLS, answers 454', stages: [{ name: 'strip-starttls', config: {} }] },
  { name: 'ntlm-downgrade', summary: 'clears NTLM 128/56/SEAL flags', stages: [{ name: 'ntlm-downgrade', config: {} }] },
  { name: 'injector', summary: 'injects plaintext after STARTTLS', stages: [{ name: 'injector', config: {} }] },
  { name: 'rewrite', summary: 'data-configured rewrite rules', label: 'no rules', stages: [{ name: 'rewrite', config: { rules: [] } }] },
] as const satisfies readonly FirewallProfile[];

/** The built-in profile names, in the order lists show them. */
export const PROFILE_NAMES = BUILT_IN.map((p) => p.name);
export type BuiltInProfileName = (typeof BUILT_IN)[number]['name'];
/** A profile's name: a built-in one, or one registered at run time. */
export type ProfileName = BuiltInProfileName | (string & {});

/** The built-in profiles by name (the vendor configuration readers model exactly these). */
export const PROFILES: Readonly<Record<BuiltInProfileName, FirewallProfile>> = Object.fromEntries(BUILT_IN.map((p): [string, FirewallProfile] => [p.name, p])) as Record<BuiltInProfileName, FirewallProfile>;

const profiles = new Map<string, FirewallProfile>(BUILT_IN.map((p) => [p.name, p]));

/**
 * Add a firewall profile. Fails on a name taken, or a stage nobody registered (a profile that
 * could not build its chain would fail every connection instead). Returns the function that
 * removes it again.
 */
export function registerFirewallProfile(profile: FirewallProfile): () => void {
  if (!/^[a-z][a-z0-9.-]*$/.test(profile.name)) throw new Error(`firewall profile name ${JSON.stringify(profile.name)}: lower-case letters, digits, dots and dashes`);
  if (profiles.has(profile.name)) throw new Error(`firewall profile ${profile.name} is already registered`);
  for (const s of profile.stages) {
    const def = stageDefinition(s.name);
    if (!def) throw new Error(`firewall profile ${profile.name}: no stage "${s.name}" (stages: ${stageNames().join(', ')})`);
    const parsed = def.schema.safeParse(s.config);
    if (!parsed.success) throw new Error(`firewall profile ${profile.name}: stage ${s.name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  profiles.set(profile.name, profile);
  return () => {
    profiles.delete(profile.name);
  };
}

/** A profile's row, or undefined for a name nobody registered. */
export function firewallProfile(name: string): FirewallProfile | undefined {
  return profiles.get(name);
}

/** Every profile's name, built-in ones first, in registration order. */
export function firewallProfileNames(): string[] {
  return [...profiles.keys()];
}

/** Every registered profile, for lookups by chain (app/infer/). */
export function firewallProfiles(): FirewallProfile[] {
  return [...profiles.values()];
}

/** `{ slicer: {} }` (or `'slicer'`), validated against every registered stage's schema. */
export function buildStageSpecSchema() {
  const shape: Record<string, z.ZodOptional<z.ZodType>> = {};
  for (const name of stageNames()) shape[name] = stageDefinition(name)!.schema.optional();
  return z.preprocess(
    (v) => (typeof v === 'string' ? { [v]: {} } : v),
    z.strictObject(shape).refine((o) => Object.keys(o).length === 1, {
      message: 'a stage entry names exactly one stage, e.g. { slicer: {} }',
    }),
  );
}

export function buildProfileSpecSchema() {
  const stageSpec = buildStageSpecSchema();
  const object = z.strictObject({
    profile: z.string().default('pass').refine((name) => profiles.has(name), {
      error: (issue) => `unknown firewall profile ${JSON.stringify(issue.input)}: one of ${firewallProfileNames().join(', ')}`,
    }).meta({ enum: [...PROFILE_NAMES] }),
    with: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    before: z.array(stageSpec).default([]),
    stages: z.array(stageSpec).default([]),
    /** A PIX/ASA configuration (docs/firewall-config.md): its stage chain stands in for the profile's. */
    config: z.string().optional(),
  }).superRefine((spec, ctx) => {
    if (spec.config !== undefined) {
      if (spec.profile !== 'pass') ctx.addIssue({ code: 'custom', path: ['profile'], message: 'give either a profile or a config, not both' });
      for (const e of parseCiscoConfig(spec.config).errors) {
        ctx.addIssue({ code: 'custom', path: ['config'], message: `configuration line ${e.line} "${e.text.trim()}": ${e.note}` });
      }
    }
    if (spec.config === undefined && !profiles.has(spec.profile)) return;
    const own = spec.config !== undefined ? parseCiscoConfig(spec.config).chain : profiles.get(spec.profile)!.stages;
    for (const [name, overrides] of Object.entries(spec.with)) {
      const base = own.find((s) => s.name === name);
      if (!base) {
        const names = own.map((s) => s.name).join(', ') || 'none';
        ctx.addIssue({ code: 'custom', path: ['with', name], message: `${spec.config !== undefined ? 'the configuration' : `profile ${spec.profile}`} has no stage "${name}" (its stages: ${names})` });
        continue;
      }
      const parsed = stageDefinition(name)!.schema.safeParse({ ...base.config, ...overrides });
      for (const issue of parsed.error?.issues ?? []) {
        ctx.addIssue({ code: 'custom', path: ['with', name, ...issue.path.map(String)], message: issue.message });
      }
    }
  });
  return z.preprocess((v) => (typeof v === 'string' ? { profile: v } : v), object);
}

/** The spec scenario files embed as `firewall:` (and the API accepts). */
export const profileSpecSchema = buildProfileSpecSchema();
export type ProfileSpec = z.output<typeof profileSpecSchema>;
export type ProfileSpecInput = z.input<typeof profileSpecSchema>;

/** A spec was invalid; `issues` carry key paths for the scenario loader's messages. */
export class ProfileSpecError extends Error {
  readonly issues: { path: (string | number)[]; message: string }[];
  constructor(issues: { path: (string | number)[]; message: string }[]) {
    super(issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
    this.name = 'ProfileSpecError';
    this.issues = issues;
  }
}

/** The schema for the stages registered now (a stage registered after start-up is included). */
const registered = () => `${stageNames().join(',')}|${firewallProfileNames().join(',')}`;
let current = { names: registered(), schema: profileSpecSchema };
function currentSchema(): typeof profileSpecSchema {
  const names = registered();
  if (names !== current.names) current = { names, schema: buildProfileSpecSchema() };
  return current.schema;
}

export function parseProfileSpec(input: unknown): ProfileSpec {
  const parsed = currentSchema().safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ProfileSpecError(parsed.error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message: i.message,
  })));
}

const refsOf = (specs: Record<string, unknown>[]): StageRef[] =>
  specs.map((s) => {
    const [name, config] = Object.entries(s)[0];
    return { name, config: (config ?? {}) as Record<string, unknown> };
  });

/** The stages a spec stands for, client side first. */
export function profileStages(input: unknown): StageRef[] {
  const spec = parseProfileSpec(input);
  const base = spec.config !== undefined ? parseCiscoConfig(spec.config).chain : profiles.get(spec.profile)!.stages;
  const own = base.map((s) => ({ name: s.name, config: { ...s.config, ...(spec.with[s.name] ?? {}) } }));
  return [...refsOf(spec.before), ...own, ...refsOf(spec.stages)];
}

/**
 * A pipeline factory for resolved stages, client side first: each connection gets fresh stages,
 * each with its own rng stream forked by position; no stages at all pass the bytes as they are.
 * The relay thread builds its pipelines from the stages the lab resolved
 * (app/path/relay-thread.ts), so a profile registered in the lab's thread runs there too.
 */
export function stagePipeline(refs: readonly StageRef[]): (ctx: StageContext) => Pipeline {
  if (refs.length === 0) return () => passPipeline();
  const factories = refs.map((ref) => ({ name: ref.name, create: stageFactory(ref.name, ref.config) }));
  return (ctx) => createChain(factories.map((f, i) => f.create({ ...ctx, rng: ctx.rng.fork(`stage:${i}:${f.name}`) })));
}

/**
 * Specs already validated, by object: a relay builds a pipeline per connection from the same spec
 * (a lab action replaces the spec object, never edits it), so it is parsed once, not per session.
 */
const compiled = new WeakMap<object, (ctx: StageContext) => Pipeline>();

/** Build the pipeline for one connection. */
export function createProfilePipeline(input: unknown, ctx: StageContext): Pipeline {
  const key = typeof input === 'object' && input !== null ? input : undefined;
  let build = key && compiled.get(key);
  if (!build) {
    build = stagePipeline(profileStages(input));
    if (key) compiled.set(key, build);
  }
  return build(ctx);
}
