/**
 * Runs the HubSpot emulator on its own: `npm run emulator:hubspot`.
 *
 * Environment: PORT (Default: 4010), HOST (Default: 127.0.0.1), HUBSPOT_TOKEN
 * (Default: pat-na1-emulator), SCHEMA_FILE (a leadsync CRM schema whose
 * objects become the portal's properties; Default: examples/crm-schema.yaml),
 * RATE_LIMIT_MAX (Default: 190), RATE_LIMIT_INTERVAL_MS (Default: 10000),
 * DAILY_LIMIT (Default: 1000000), LATENCY_MS (Default: 0).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { compileCrmSchema } from '../../../src/config/config-compiler.js';
import { crmSchemaDocument } from '../../../src/config/config-schema.js';
import { objectsFromCrmSchema, startHubSpotEmulator } from './hubspot-emulator.js';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

const schemaFile = resolve(process.env['SCHEMA_FILE'] ?? 'examples/crm-schema.yaml');
const parsed = crmSchemaDocument.safeParse(parse(await readFile(schemaFile, 'utf8')));
if (!parsed.success) throw new Error(`${schemaFile} is not a CRM schema: ${parsed.error.message}`);
const schema = compileCrmSchema(parsed.data);

const emulator = await startHubSpotEmulator({
  port: numberFromEnv('PORT', 4010),
  host: process.env['HOST'] ?? '127.0.0.1',
  token: process.env['HUBSPOT_TOKEN'] ?? 'pat-na1-emulator',
  objects: objectsFromCrmSchema(schema),
  rateLimit: { max: numberFromEnv('RATE_LIMIT_MAX', 190), intervalMs: numberFromEnv('RATE_LIMIT_INTERVAL_MS', 10_000) },
  dailyLimit: { limit: numberFromEnv('DAILY_LIMIT', 1_000_000) },
  latencyMs: numberFromEnv('LATENCY_MS', 0),
});

process.stdout.write(
  [
    `HubSpot emulator listening on ${emulator.url}`,
    `  token:   ${emulator.token}   (send "Authorization: Bearer <token>")`,
    `  objects: ${Object.keys(schema.objects).join(', ')} (properties from ${schemaFile})`,
    `  knobs:   ${emulator.url}/__emulator/state, /__emulator/faults, /__emulator/settings, /__emulator/records/<object>, /__emulator/reset`,
    '',
  ].join('\n'),
);

function shutdown(): void {
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
