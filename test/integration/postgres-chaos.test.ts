import { afterAll, describe, expect, it } from 'vitest';
import { CHAOS_COMPANIES, chaosTable, dropChaosSchema, killChaosProcesses, runPostgresChaos } from '../support/postgres-chaos.js';

// Issue 5's chaos test on PostgreSQL: tens of thousands of events (20,000; CHAOS_EVENTS
// overrides; the 50,000-event variant is `npx tsx bench/pg-chaos-benchmark.ts`): 1 API process
// (`serve --no-worker`) + 3 `leadsync worker` processes of the BUILT CLI, random
// SIGKILLs of workers, one restart of the PostgreSQL server half way, and CRM faults
// (503s, 429s with Retry-After, connection resets, latency) from the HubSpot emulator.
// It restarts the machine's PostgreSQL server, so vitest.config.ts leaves it out of the
// main run and `npm run test:chaos` (LEADSYNC_CHAOS=1) runs it alone, after the rest.

const EVENTS = Number(process.env['CHAOS_EVENTS'] ?? 20_000);
const KILLS = 10;

describe('PostgreSQL scale-out under chaos', () => {
  afterAll(killChaosProcesses);

  it('loses no accepted event, applies none twice, creates no CRM record twice, keeps the audit chain', { timeout: 1_200_000 }, async () => {
    const result = await runPostgresChaos({ events: EVENTS, workers: 3, kills: KILLS, restartPostgres: true, log: (line) => console.log(`chaos: ${line}`) });
    console.log(`chaos results (send ${result.sendSeconds.toFixed(1)} s, drain ${result.drainSeconds.toFixed(1)} s):\n${chaosTable(result)}`);
    expect(result.accepted).toBe(EVENTS);
    expect(result.kills).toBe(KILLS);
    expect(result.postgresRestarts).toBe(1);
    expect(result.lost).toEqual([]);
    expect(result.appliedTwice).toBe(0);
    expect(result.duplicateCreates).toBe(0);
    // The events name a few companies, written by every worker's batches: each exists once.
    expect(result.duplicateCompanyCreates).toBe(0);
    expect(result.crmCompanies).toBe(CHAOS_COMPANIES);
    // Every accepted event is a new contact: written once, unless it was dead-lettered.
    expect(result.crmContacts + result.deadLettered).toBeGreaterThanOrEqual(EVENTS);
    expect(result.crmContacts).toBeLessThanOrEqual(EVENTS);
    expect(result.auditChainValid).toBe(true);
    // Visibility timeout 5 s: a killed worker's jobs run again well within the required 60 s.
    expect(result.maxReclaimMs).toBeLessThan(60_000);
    await dropChaosSchema(result.schema);
  });
});
