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

export function createPathPipeline(config: PathPipelineSpec, ctx: PipelineContext): Pipeline {
  if (config.via === 'direct' || !config.firewall) return passPipeline();
  return createProfilePipeline(config.firewall, ctx);
}

/** The stages a path's pipeline runs, resolved in this thread's registries (none: `pass`). */
export function pathStages(config: PathPipelineSpec): StageRef[] {
  if (config.via === 'direct' || !config.firewall) return [];
  return profileStages(config.firewall);
}
