// The 50,000-event variant of test/integration/postgres-chaos.test.ts: `npm run build && npx tsx bench/pg-chaos-benchmark.ts [events]`.
// Prints the results table of issue 5 (events, kills, restarts, lost, duplicates, DLQ, max reclaim time).
import { chaosTable, dropChaosSchema, runPostgresChaos } from '../test/support/postgres-chaos.js';

const events = Number(process.argv[2] ?? 50_000);
const result = await runPostgresChaos({ events, workers: 3, kills: 12, restartPostgres: true, drainTimeoutMs: 900_000, log: (line) => console.log(line) });
console.log(chaosTable(result));
console.log(`send ${result.sendSeconds.toFixed(1)} s, drain ${result.drainSeconds.toFixed(1)} s, deliveries repeated ${result.deliveryRetries}`);
const passed = result.lost.length === 0 && result.appliedTwice === 0 && result.duplicateCreates === 0 && result.duplicateCompanyCreates === 0 && result.auditChainValid && result.accepted === events;
if (passed) await dropChaosSchema(result.schema);
else console.log(`FAILED; schema ${result.schema} kept for inspection`);
process.exitCode = passed ? 0 : 1;
