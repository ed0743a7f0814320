import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { createRng } from '../../../app/base/rng.ts';
import { createProfilePipeline } from '../../../app/path/profiles.ts';
import {
  StageConfigError, createStage, defineStage, registerStage, stageNames,
} from '../../../app/path/stages/index.ts';
import { deliver } from '../../../app/path/stages/stage.ts';
import { drive } from '../harness.ts';

const ctx = { rng: createRng(1), conn: 'c1' };

function configError(fn: () => unknown): StageConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StageConfigError) return e;
    throw e;
  }
  throw new Error('expected a StageConfigError');
}

describe('the stage registry', () => {
  test('every stage in docs/stages.md is registered by name', () => {
    expect(stageNames()).toEqual(expect.arrayContaining([
      'mask-banner', 'mask-banner-44', 'command-filter', 'esmtp-inspect', 'strip-starttls', 'ntlm-downgrade',
      'injector', 'rewrite', 'latency', 'bandwidth', 'slicer', 'reset', 'drop', 'block',
    ]));
  });

  test('a bad config is refused with the stage and the key named', () => {
    const e = configError(() => createStage('latency', { ms: 'fast' }, ctx));
    expect(e.message).toMatch(/^stage "latency": ms: /);
    expect(e.issues).toEqual([expect.objectContaining({ stage: 'latency', path: ['ms'] })]);
  });

  test('a misspelt key is an error, not silently ignored', () => {
    const e = configError(() => createStage('slicer', { sise: 2 }, ctx));
    expect(e.message).toContain('stage "slicer"');
    expect(e.message).toContain('sise');
  });

  test('nested keys are named by path', () => {
    const e = configError(() => createStage('rewrite', { rules: [{ match: 'x', action: 'explode' }] }, ctx));
    expect(e.issues[0].path).toEqual(['rules', 0, 'action']);
    expect(e.message).toMatch(/^stage "rewrite": rules\.0\.action: /);
  });

  test('an unknown stage lists the known ones', () => {
    expect(configError(() => createStage('teleport', {}, ctx)).message).toMatch(/^stage "teleport": unknown stage \(known: .*latency/);
  });

  test('a stage registered later is usable in a profile spec, and a name is taken only once', () => {
    const shout = defineStage({
      name: 'test-shout',
      summary: 'upper-cases c2s bytes (test only)',
      schema: z.strictObject({}),
      create: () => ({ name: 'test-shout', push: (dir, b) => [deliver(dir, dir === 'c2s' ? Buffer.from(b.toString().toUpperCase()) : b)] }),
    });
    registerStage(shout);
    expect(() => registerStage(shout)).toThrow(/already registered/);
    const out = drive(createProfilePipeline({ profile: 'pass', stages: ['test-shout'] }, ctx), [['c2s', 'quit\r\n']]);
    expect(out.c2s).toBe('QUIT\r\n');
  });
});
