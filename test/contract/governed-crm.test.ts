import Database from 'better-sqlite3';
import { describe, onTestFinished } from 'vitest';
import { MemoryRateLimitStore } from '../../src/adapters/memory/memory-rate-limit-store.js';
import { SandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-destination.js';
import { GovernedDestination } from '../../src/app/governed-destination.js';
import { RateLimitGovernor } from '../../src/app/rate-limit-governor.js';
import { ManualClock } from '../support/manual-clock.js';
import { CONTRACT_CRM_SCHEMA, crmDestinationContract, type CrmUnderTest } from './crm-destination.contract.js';

/**
 * The governed wrapper must be a CrmDestination like any other: same results,
 * faults passed through as results. Time is a manual clock that the
 * governor's sleeps move, so waits for tokens and Retry-After cost nothing.
 */
function makeGovernedSandbox(lane: 'realtime' | 'batch'): () => Promise<CrmUnderTest> {
  return () => {
    const db = new Database(':memory:');
    onTestFinished(() => {
      db.close();
    });
    const clock = new ManualClock();
    const sandbox = new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock });
    const governor = new RateLimitGovernor({
      destination: sandbox.name,
      store: new MemoryRateLimitStore(),
      policy: { requests: 10, intervalMs: 1_000, realtimeReserve: 0.2, burst: 0.2, headroom: 0 },
      now: () => clock.now(),
      sleep: (ms) => {
        clock.advance(ms);
        return Promise.resolve();
      },
    });
    // No resends: the contract checks that a 429 reaches the caller as a result.
    const destination = new GovernedDestination(sandbox, governor, { lane, rateLimitResends: 0 });
    return Promise.resolve({ destination, injectFault: (fault) => sandbox.injectFault(fault) });
  };
}

describe('governed CRM (sandbox behind the rate-limit governor), realtime lane', () => {
  crmDestinationContract(makeGovernedSandbox('realtime'));
});

describe('governed CRM (sandbox behind the rate-limit governor), batch lane', () => {
  crmDestinationContract(makeGovernedSandbox('batch'));
});
