/**
 * Which pipeline a path's relay runs: `direct` paths pass bytes unchanged; a `firewall` runs its
 * profile's stages (app/path/profiles.ts, one file per stage in app/path/stages/).
 */
import type { PathConfig } from '../scenario/schema.ts';
import type { Rng } from '../lab/rng.ts';
import { passPipeline, type Pipeline } from './pipeline.ts';
import { createProfilePipeline } from './profiles.ts';

export interface PipelineContext {
  rng: Rng;
  conn: string;
  /** Real milliseconds (the `bandwidth` stage paces by it). */
  now(): number;
}

export function createPathPipeline(config: PathConfig, ctx: PipelineContext): Pipeline {
  if (config.via === 'direct' || !config.firewall) return passPipeline();
  return createProfilePipeline(config.firewall, ctx);
}
