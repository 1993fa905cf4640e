// The 50,000-event variant of test/integration/postgres-chaos.test.ts:
// `npm run build && npx tsx bench/pg-chaos-benchmark.ts [events] [--pgbouncer[=<server connections>]]`.
// With --pgbouncer the API and the workers connect through a private PgBouncer in transaction
// mode (2 server connections unless given), PostgreSQL restarting behind it; CHAOS_PGBOUNCER_SETTINGS
// adds PgBouncer settings (`server_login_retry=1,server_check_delay=0`). CHAOS_OUTPUT_DIR keeps every process's output.
// Prints the results table of issue 5 (events, kills, restarts, lost, duplicates, DLQ, max reclaim time).
import { chaosTable, dropChaosSchema, runPostgresChaos } from '../test/support/postgres-chaos.js';

const args = process.argv.slice(2);
const bouncerArg = args.find((arg) => arg.startsWith('--pgbouncer'));
const events = Number(args.find((arg) => !arg.startsWith('--')) ?? 50_000);
const poolSize = bouncerArg === undefined ? undefined : Number(bouncerArg.split('=')[1] ?? 2);
const bouncerSettings = Object.fromEntries(
  (process.env['CHAOS_PGBOUNCER_SETTINGS'] ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => pair.split('=').map((part) => part.trim())),
) as Record<string, string>;
if (!Number.isInteger(events) || events <= 0 || (poolSize !== undefined && (!Number.isInteger(poolSize) || poolSize <= 0))) {
  throw new Error('usage: npx tsx bench/pg-chaos-benchmark.ts [events] [--pgbouncer[=<server connections>]]');
}
const result = await runPostgresChaos({
  events,
  workers: 3,
  kills: 12,
  restartPostgres: true,
  drainTimeoutMs: 900_000,
  ...(poolSize === undefined ? {} : { pgBouncer: { poolSize, settings: bouncerSettings } }),
  ...(process.env['CHAOS_OUTPUT_DIR'] === undefined ? {} : { outputDir: process.env['CHAOS_OUTPUT_DIR'] }),
  log: (line) => console.log(line),
});
console.log(`connection: ${result.connection}`);
console.log(chaosTable(result));
console.log(`send ${result.sendSeconds.toFixed(1)} s, drain ${result.drainSeconds.toFixed(1)} s, deliveries repeated ${result.deliveryRetries}, longest delivery ${(result.longestDeliveryMs / 1000).toFixed(1)} s, statements succeeded again ${(result.recoveryMs / 1000).toFixed(1)} s after the restart began`);
for (const exit of result.unexpectedExits) console.log(`UNEXPECTED EXIT: ${exit}`);
const passed =
  result.lost.length === 0 && result.appliedTwice === 0 && result.duplicateCreates === 0 && result.duplicateCompanyCreates === 0 && result.auditChainValid && result.accepted === events && result.unexpectedExits.length === 0;
if (passed) await dropChaosSchema(result);
else console.log(`FAILED; schema ${result.schema} kept for inspection`);
process.exitCode = passed ? 0 : 1;
