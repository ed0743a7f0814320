/**
 * Stage chains as the vendor-config module sees them: refs with every config filled in from the
 * stage's own schema (app/path/stages/), so two chains compare equal when they behave the same,
 * whether a key was written or left to its default.
 */
import { stageDefinition } from '../stages/index.ts';
import type { StageRef } from '../profiles.ts';

export function normalizeRef(ref: StageRef): StageRef {
  const def = stageDefinition(ref.name);
  if (!def) throw new Error(`no stage named ${ref.name}`);
  return { name: ref.name, config: def.schema.parse(ref.config) as Record<string, unknown> };
}

export const normalizeChain = (refs: readonly StageRef[]): StageRef[] => refs.map(normalizeRef);

/** A stage's defaults (its schema applied to `{}`). */
export const stageDefaults = (name: string): Record<string, unknown> => normalizeRef({ name, config: {} }).config;

/** The keys of `config` that differ from the stage's defaults. */
export function nonDefault(name: string, config: Record<string, unknown>): Record<string, unknown> {
  const d = stageDefaults(name);
  const full = normalizeRef({ name, config }).config;
  return Object.fromEntries(Object.entries(full).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(d[k])));
}

/** The spec a scenario embeds for a chain: the `pass` profile with the chain as server-side stages. */
export function chainSpec(refs: readonly StageRef[]): { profile: 'pass'; stages: Record<string, Record<string, unknown>>[] } {
  return { profile: 'pass', stages: refs.map((r) => ({ [r.name]: nonDefault(r.name, r.config) })) };
}
