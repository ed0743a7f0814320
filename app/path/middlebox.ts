/**
 * Which pipeline a path's relay runs: `direct` paths pass bytes unchanged; a `firewall` runs its
 * profile's stages (app/path/profiles.ts, one file per stage in app/path/stages/).
 */
import type { Rng } from '../base/rng.ts';
import { passPipeline, type Pipeline } from './pipeline.ts';
import { createProfilePipeline, profileStages, type StageRef } from './profiles.ts';

export interface PipelineContext {
  rng: Rng;
  conn: string;
  /** Real milliseconds (the `bandwidth` stage paces by it). */
  now(): number;
}

/**
 * What of a path's configuration (app/config/schema.ts `pathSpec`) decides its pipeline. Declared
 * here, structurally, because the configuration schema embeds this folder's profile spec: path/
 * sits below config/ (docs/architecture.md, "Layers").
 */
export interface PathPipelineSpec {
  via: 'direct' | 'firewall' | 'content-scanner';
  firewall?: unknown;
}

/** The firewall profile a path runs: none for a direct path or a path without one (bytes pass as they are). */
function profileOf(config: PathPipelineSpec): unknown {
  return config.via === 'direct' ? undefined : config.firewall;
}

export function createPathPipeline(config: PathPipelineSpec, ctx: PipelineContext): Pipeline {
  const profile = profileOf(config);
  return profile ? createProfilePipeline(profile, ctx) : passPipeline();
}

/** The stages a path's pipeline runs, resolved in this thread's registries (none: `pass`). */
export function pathStages(config: PathPipelineSpec): StageRef[] {
  const profile = profileOf(config);
  return profile ? profileStages(profile) : [];
}
