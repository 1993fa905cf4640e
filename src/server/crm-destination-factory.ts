import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { HubSpotDestination } from '../adapters/hubspot/hubspot-destination.js';
import { SalesforceDestination } from '../adapters/salesforce/salesforce-destination.js';
import type { SalesforceAuth } from '../adapters/salesforce/salesforce-auth.js';
import { SandboxCrmDestination } from '../adapters/sandbox-crm/sandbox-crm-destination.js';
import { PostgresSandboxCrmDestination } from '../adapters/sandbox-crm/sandbox-crm-postgres-destination.js';
import { GovernedDestination } from '../app/governed-destination.js';
import { RateLimitGovernor } from '../app/rate-limit-governor.js';
import type { LoadedConfig } from '../config/config-loader.js';
import type { DestinationConfig } from '../config/config-schema.js';
import { inputsPerRequestOf, rateLimitPolicyFor } from '../config/rate-limit-defaults.js';
import type { CrmSchema } from '../core/crm-schema/crm-schema-types.js';
import { bucketShape } from '../core/rate-limit/token-bucket.js';
import type { Clock } from '../ports/clock.js';
import type { CrmDestination } from '../ports/crm-destination.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import type { StructuredLogger } from '../ports/structured-logger.js';

/** What building a destination needs besides its config. */
export interface DestinationEnvironment {
  /** The config file, to resolve relative paths (a JWT private key) against. */
  readonly configFile: string;
  /** The schema the sandbox declares (the config's); real CRMs describe their own. Required for the sandbox. */
  readonly schema?: CrmSchema;
  /** The sandbox keeps its records here (the storage's SQLite connection). Required for the sandbox. */
  readonly database?: BetterSqlite3.Database;
  /** With PostgreSQL storage the sandbox keeps its records in the storage's pool (its schema) instead of `database`. */
  readonly postgresPool?: pg.Pool;
  /** (Default: the global fetch) */
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
}

/**
 * The CRM adapter of `destination.kind`, unwrapped: `leadsync schema pull`
 * and `check --live` describe through it; the worker calls it through the
 * governor (`governDestination`).
 */
export function buildCrmDestination(destination: DestinationConfig, env: DestinationEnvironment): CrmDestination {
  const fetchOption = env.fetch === undefined ? {} : { fetch: env.fetch };
  const timeout = destination.timeoutMs === undefined ? {} : { timeoutMs: destination.timeoutMs };
  switch (destination.kind) {
    case 'sandbox':
      if (env.postgresPool !== undefined && env.schema !== undefined) {
        return new PostgresSandboxCrmDestination(env.postgresPool, { schema: env.schema, ...(env.clock === undefined ? {} : { clock: env.clock }) });
      }
      if (env.database === undefined || env.schema === undefined) throw new Error('the sandbox CRM needs a database and the config\'s schema');
      return new SandboxCrmDestination(env.database, { schema: env.schema, ...(env.clock === undefined ? {} : { clock: env.clock }) });
    case 'hubspot':
      if (destination.token === undefined) throw new Error('destination.token is required for hubspot');
      return new HubSpotDestination({
        token: destination.token,
        ...(destination.baseUrl === undefined ? {} : { baseUrl: destination.baseUrl }),
        ...timeout,
        ...fetchOption,
        ...(env.clock === undefined ? {} : { clock: env.clock }),
      });
    case 'salesforce': {
      if (destination.instanceUrl === undefined || destination.auth === undefined) throw new Error('destination.instanceUrl and destination.auth are required for salesforce');
      return new SalesforceDestination({
        instanceUrl: destination.instanceUrl,
        auth: salesforceAuth(destination.auth, env.configFile),
        ...(destination.loginUrl === undefined ? {} : { loginUrl: destination.loginUrl }),
        ...(destination.apiVersion === undefined ? {} : { apiVersion: destination.apiVersion }),
        ...(destination.bulkThreshold === undefined ? {} : { bulkThreshold: destination.bulkThreshold }),
        ...timeout,
        ...fetchOption,
      });
    }
  }
}

function salesforceAuth(auth: NonNullable<DestinationConfig['auth']>, configFile: string): SalesforceAuth {
  if (auth.flow === 'client_credentials') return { kind: 'client_credentials', clientId: auth.clientId, clientSecret: auth.clientSecret };
  const keyFile = resolve(dirname(configFile), auth.privateKeyFile);
  let privateKey: string;
  try {
    privateKey = readFileSync(keyFile, 'utf8');
  } catch (error) {
    throw new Error(`destination.auth.privateKeyFile: cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  return { kind: 'jwt_bearer', clientId: auth.clientId, username: auth.username, privateKey };
}

/** The CRM as each lane calls it, and the governor between, when the destination has a rate limit. */
export interface GovernedCrm {
  readonly realtime: CrmDestination;
  readonly batch: CrmDestination;
  /** Undefined for an ungoverned destination (a sandbox without `rateLimit`). */
  readonly governor: RateLimitGovernor | undefined;
}

/**
 * Puts the rate-limit governor between the worker and the CRM: one governor
 * per destination, its bucket in `store` (shared by every process using the
 * same store), one wrapper per lane. A sandbox without `rateLimit` is left
 * as it is.
 */
export function governDestination(
  crm: CrmDestination,
  config: LoadedConfig,
  deps: { readonly store: RateLimitStore; readonly clock: Clock; readonly sleep: (ms: number) => Promise<void>; readonly logger?: StructuredLogger },
): GovernedCrm {
  const destination = config.document.destination;
  const limit = rateLimitPolicyFor(destination);
  if (limit === undefined) return { realtime: crm, batch: crm, governor: undefined };
  const { maxWaitMs, ...policy } = limit;
  try {
    bucketShape(policy);
  } catch (error) {
    throw new Error(`destination.rateLimit in ${config.file}: ${error instanceof Error ? error.message : String(error)}; raise requests or lower burst/headroom`, { cause: error });
  }
  const governor = new RateLimitGovernor({
    destination: crm.name,
    store: deps.store,
    policy,
    maxWaitMs,
    now: () => deps.clock.now(),
    sleep: deps.sleep,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });
  const inputsPerRequest = inputsPerRequestOf(destination);
  return {
    realtime: new GovernedDestination(crm, governor, { lane: 'realtime', inputsPerRequest }),
    batch: new GovernedDestination(crm, governor, { lane: 'batch', inputsPerRequest }),
    governor,
  };
}
