/** `npm run schema`: regenerate scenarios/schema.json from the zod schema. */
import fs from 'node:fs';
import { scenarioJsonSchema } from './json-schema.ts';

fs.writeFileSync(new URL('../../scenarios/schema.json', import.meta.url), scenarioJsonSchema());
console.log('wrote scenarios/schema.json');
