// Writes schema/*.schema.json from the config definition. A test fails when they are stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemas, renderJsonSchema } from '../src/config/config-json-schema.js';

mkdirSync('schema', { recursive: true });
for (const [file, schema] of Object.entries(configJsonSchemas())) {
  writeFileSync(join('schema', file), renderJsonSchema(schema));
  console.log(`wrote schema/${file}`);
}
