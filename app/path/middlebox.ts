/**
 * Which pipeline a path's relay runs: `direct` paths pass bytes unchanged; a `firewall` runs its
 * profile's stages. The stage library lives in app/path/stages/ and app/path/profiles.ts.
 */
import type { PathConfig } from '../scenario/schema.ts';
import type { Rng } from '../lab/rng.ts';
import { passPipeline, type Pipeline } from './pipeline.ts';

export interface PipelineContext {
  rng: Rng;
  conn: string;
}

export function createPathPipeline(config: PathConfig, _ctx: PipelineContext): Pipeline {
  if (config.via === 'direct' || !config.firewall || config.firewall.profile === 'pass') return passPipeline();
  throw new Error(`middlebox profile ${config.firewall.profile} is not available`);
}
