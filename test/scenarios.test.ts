/**
 * Every shipped scenario is a test (docs/architecture.md, "Conventions"): a new file in scenarios/ is a new test case,
 * run through the same runner as `postcard-lab run`.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { expandScenarioArgs, formatError, loadScenarioFile } from '../app/scenario/load.ts';
import { runScenario } from '../app/scenario/run.ts';
import { scenarioJsonSchema } from '../app/scenario/json-schema.ts';

const dir = path.resolve(import.meta.dirname, '../scenarios');
const { files } = expandScenarioArgs([dir]);

describe('shipped scenarios', () => {
  it('has scenarios to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('ships a JSON Schema that matches the format (run `npm run schema` after changing it)', () => {
    expect(fs.readFileSync(path.join(dir, 'schema.json'), 'utf8')).toBe(scenarioJsonSchema());
  });

  it.each(files.map((f) => [path.basename(f), f]))('%s passes headless', async (_name, file) => {
    const loaded = loadScenarioFile(file);
    if (!loaded.ok) throw new Error(loaded.errors.map(formatError).join('\n'));
    expect(loaded.scenario.story.length, 'a scenario tells the trainer its story').toBeGreaterThan(40);
    const result = await runScenario(file, loaded.id, loaded.scenario);
    const failures = result.steps.filter((s) => s.status !== 'passed').map((s) => `step ${s.index + 1} ${s.kind} ${s.name}: ${s.message}`);
    expect(failures, result.error).toEqual([]);
    expect(result.status).toBe('passed');
  });
});
