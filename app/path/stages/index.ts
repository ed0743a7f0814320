/**
 * The built-in stages, registered by name. Import the registry from here (not from stage.ts) so
 * the built-ins are always present; a new stage is one file plus one line in BUILTIN_STAGES
 * (docs/stages.md, "How to write a new stage").
 */
import { bandwidth } from './bandwidth.ts';
import { block } from './block.ts';
import { commandFilter } from './command-filter.ts';
import { drop } from './drop.ts';
import { esmtpInspect } from './esmtp-inspect.ts';
import { injector } from './injector.ts';
import { latency } from './latency.ts';
import { maskBanner, maskBanner44 } from './mask-banner.ts';
import { ntlmDowngrade } from './ntlm-downgrade.ts';
import { reset } from './reset.ts';
import { rewrite } from './rewrite.ts';
import { slicer } from './slicer.ts';
import { registerStage, stageDefinition, stageNames } from './stage.ts';
import type { RegisteredStage } from './stage.ts';
import { stripStarttlsStage } from './strip-starttls.ts';

export const BUILTIN_STAGES: readonly RegisteredStage[] = [
  maskBanner, maskBanner44, commandFilter, esmtpInspect, stripStarttlsStage, ntlmDowngrade, injector, rewrite,
  latency, bandwidth, slicer, reset, drop, block,
];

for (const def of BUILTIN_STAGES) if (!stageDefinition(def.name)) registerStage(def);

/**
 * True while every registered stage is a built-in one. A stage registered at run time is code in
 * this thread only, so a lab in a process that has one keeps its relays in its own thread
 * (app/lab/lab.ts, `relaysOn`).
 */
export function onlyBuiltInStages(): boolean {
  return stageNames().length === BUILTIN_STAGES.length;
}

export { createStage, registerStage, stageDefinition, stageFactory, stageNames, StageConfigError, defineStage } from './stage.ts';
export type { RegisteredStage, Stage, StageConfigIssue, StageContext, StageDefinition } from './stage.ts';
