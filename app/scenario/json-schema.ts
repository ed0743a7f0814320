/**
 * The JSON Schema of the scenario format (docs/scenario-format.md), generated from the zod schema so the two can
 * never disagree. `npm run schema` writes it to scenarios/schema.json; a test fails when the
 * committed file is stale.
 */
import { z } from 'zod';
import { scenario } from './schema.ts';

export function scenarioJsonSchema(): string {
  const schema = z.toJSONSchema(scenario, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return `${JSON.stringify({
    ...schema,
    $id: 'https://postcard-lab.example/scenario.schema.json',
    title: 'Postcard Lab scenario',
    description: 'A lab (organisations, DNS, paths), a story for the trainer, and timed steps. See docs/scenario-format.md.',
  }, null, 2)}\n`;
}
