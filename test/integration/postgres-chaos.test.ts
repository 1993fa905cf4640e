import { afterAll, describe, expect, it } from 'vitest';
import { CHAOS_COMPANIES, chaosTable, dropChaosSchema, killChaosProcesses, runPostgresChaos, type ChaosResult } from '../support/postgres-chaos.js';

// Issue 5's chaos test on PostgreSQL: tens of thousands of events (20,000; CHAOS_EVENTS
// overrides; the 50,000-event variant is `npx tsx bench/pg-chaos-benchmark.ts`): 1 API process
// (`serve --no-worker`) + 3 `leadsync worker` processes of the BUILT CLI, random
// SIGKILLs of workers, one restart of the PostgreSQL server half way, and CRM faults
// (503s, 429s with Retry-After, connection resets, latency) from the HubSpot emulator.
// The same again, smaller for CI time (8,000 events, 5 kills; CHAOS_PGBOUNCER_EVENTS overrides;
// bigger: `npx tsx bench/pg-chaos-benchmark.ts 20000 --pgbouncer`), with every service
// connection going through a private PgBouncer in transaction mode (2 server connections, as
// the PgBouncer test): PostgreSQL restarts behind it while PgBouncer stays up.
// It restarts the machine's PostgreSQL server, so vitest.config.ts leaves it out of the
// main run and `npm run test:chaos` (LEADSYNC_CHAOS=1) runs it alone, after the rest.

const EVENTS = Number(process.env['CHAOS_EVENTS'] ?? 20_000);
const KILLS = 10;
const PGBOUNCER_EVENTS = Number(process.env['CHAOS_PGBOUNCER_EVENTS'] ?? 8_000);
const PGBOUNCER_KILLS = 5;
const PGBOUNCER_POOL_SIZE = 2;
/** CHAOS_OUTPUT_DIR keeps every process's output (API, workers, PgBouncer) for a look after a failure. */
const OUTPUT_DIR = process.env['CHAOS_OUTPUT_DIR'];

/** The guarantees of issue 5, whichever way the services connect. */
function expectGuarantees(result: ChaosResult, events: number, kills: number): void {
  expect(result.accepted).toBe(events);
  expect(result.kills).toBe(kills);
  expect(result.postgresRestarts).toBe(1);
  expect(result.lost).toEqual([]);
  expect(result.appliedTwice).toBe(0);
  expect(result.duplicateCreates).toBe(0);
  // The events name a few companies, written by every worker's batches: each exists once.
  expect(result.duplicateCompanyCreates).toBe(0);
  expect(result.crmCompanies).toBe(CHAOS_COMPANIES);
  // Every accepted event is a new contact: written once, unless it was dead-lettered.
  expect(result.crmContacts + result.deadLettered).toBeGreaterThanOrEqual(events);
  expect(result.crmContacts).toBeLessThanOrEqual(events);
  expect(result.auditChainValid).toBe(true);
  // Visibility timeout 5 s: a killed worker's jobs run again well within the required 60 s.
  expect(result.maxReclaimMs).toBeLessThan(60_000);
  // Only the run's own kills end a process: no crash on a dropped connection, no unhandled 'error' event.
  expect(result.unexpectedExits).toEqual([]);
}

function printResult(result: ChaosResult): void {
  console.log(
    `chaos results, ${result.connection} (send ${result.sendSeconds.toFixed(1)} s, drain ${result.drainSeconds.toFixed(1)} s, ` +
      `longest delivery ${(result.longestDeliveryMs / 1000).toFixed(1)} s, statements succeeded again ${(result.recoveryMs / 1000).toFixed(1)} s after the restart began):\n${chaosTable(result)}`,
  );
}

describe('PostgreSQL scale-out under chaos', () => {
  afterAll(killChaosProcesses);

  it('loses no accepted event, applies none twice, creates no CRM record twice, keeps the audit chain', { timeout: 1_200_000 }, async () => {
    const result = await runPostgresChaos({ events: EVENTS, workers: 3, kills: KILLS, restartPostgres: true, ...(OUTPUT_DIR === undefined ? {} : { outputDir: `${OUTPUT_DIR}/direct` }), log: (line) => console.log(`chaos: ${line}`) });
    printResult(result);
    expectGuarantees(result, EVENTS, KILLS);
    await dropChaosSchema(result);
  });

  it('the same through PgBouncer in transaction mode, PostgreSQL restarting behind it', { timeout: 1_200_000 }, async () => {
    const result = await runPostgresChaos({
      events: PGBOUNCER_EVENTS,
      workers: 3,
      kills: PGBOUNCER_KILLS,
      restartPostgres: true,
      pgBouncer: { poolSize: PGBOUNCER_POOL_SIZE },
      ...(OUTPUT_DIR === undefined ? {} : { outputDir: `${OUTPUT_DIR}/pgbouncer` }),
      log: (line) => console.log(`chaos (PgBouncer): ${line}`),
    });
    printResult(result);
    expect(result.connection).toMatch(/^PgBouncer .*transaction mode/);
    expectGuarantees(result, PGBOUNCER_EVENTS, PGBOUNCER_KILLS);
    await dropChaosSchema(result);
  });
});
