import pg from 'pg';
import type { StructuredLogger } from '../../ports/structured-logger.js';
import { PgTransactionScript } from '../../adapter-support/pg-transaction-script.js';
import { describePgTarget } from './pg-connection-errors.js';

export { PgTransactionScript, type PgStatement } from '../../adapter-support/pg-transaction-script.js';

/** A connection checked out of the pool, inside a transaction when handed out by `withTransaction`. */
export type PgClient = pg.PoolClient;

/** SQLSTATEs after which the same transaction may succeed when run again from the start. */
const RETRYABLE_TRANSACTION_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * SQLSTATE classes and codes that mean "the database is (briefly) not there":
 * a restart, a failover, too many connections. The statement did not commit;
 * running it again later may succeed.
 */
const TRANSIENT_CODES = new Set([
  '57P01', // admin_shutdown (server restart, pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '53300', // too_many_connections
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
]);

const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether re-running the whole transaction may succeed: serialization failure or deadlock. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && RETRYABLE_TRANSACTION_CODES.has(code);
}

/**
 * Whether an error from this module means the database was unreachable or
 * restarting rather than that the statement is wrong: connection refused or
 * reset, server shutdown, class 08 (connection exception), too many
 * connections, or a retryable transaction conflict. Callers (the worker)
 * treat these as transient and try again later.
 */
export function isTransientPgError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    if (code.startsWith('08') || TRANSIENT_CODES.has(code) || RETRYABLE_TRANSACTION_CODES.has(code) || TRANSIENT_NODE_CODES.has(code)) return true;
  }
  const message = error instanceof Error ? error.message : '';
  // node-postgres reports a dropped socket without a code.
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(message);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name leadsync may interpolate into SQL: lower-case letters, digits and `_`, at most 63 characters. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new RangeError(`PostgreSQL schema name "${schema}" is not allowed: use lower-case letters, digits and _ (at most 63, not starting with a digit)`);
  }
  return schema;
}

/**
 * The search_path a `postgres://…?options=-c search_path=…` URL asks for
 * (also `--search_path=…`), or undefined when its options set none.
 */
export function searchPathInUrl(url: string): string | undefined {
  let options: string | null;
  try {
    options = new URL(url).searchParams.get('options');
  } catch {
    // Not a URL node-postgres would read options from either (a key=value string): nothing to check.
    return undefined;
  }
  if (options === null) return undefined;
  return /(?:^|\s)(?:-c\s*|--)search_path=(\S+)/.exec(options)?.[1];
}

export interface PgDatabaseOptions {
  /** `postgres://user:password@host:port/database` (any libpq URL node-postgres accepts). */
  readonly url: string;
  /**
   * Schema all of leadsync's tables live in; set as `search_path` on every
   * connection (startup option `-c search_path=…`). (Default: the role's own
   * search_path, normally `public`)
   */
  readonly schema?: string;
  /** Most connections this process opens. (Default: 10) */
  readonly maxConnections?: number;
  /** How long a checkout waits for a free connection or a new one to open. (Default: 10000) */
  readonly connectionTimeoutMs?: number;
  /** Idle connections are closed after this. (Default: 30000) */
  readonly idleTimeoutMs?: number;
  /** Attempts of a transaction that keeps failing with a serialization failure or deadlock. (Default: 5) */
  readonly maxTransactionAttempts?: number;
  /** Shown in `pg_stat_activity.application_name`. (Default: `leadsync`) */
  readonly applicationName?: string;
  /** Where pool errors are logged. (Default: a logger that writes to stderr) */
  readonly logger?: StructuredLogger;
}

const STDERR_LOGGER: StructuredLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, message) => {
    process.stderr.write(`${JSON.stringify({ level: 'warn', ...fields, msg: message })}\n`);
  },
  error: (fields, message) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', ...fields, msg: message })}\n`);
  },
};

function describeError(error: unknown): Record<string, unknown> {
  return { err: error instanceof Error ? error.message : String(error), code: codeOf(error) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * leadsync's handle on one PostgreSQL database: a `pg.Pool` with the schema
 * on every connection, transactions that re-run on serialization failures
 * and deadlocks, and no unhandled `error` events.
 *
 * Reconnecting: the pool holds no state a restart can break. When the
 * server restarts, idle connections die (the pool logs the error and drops
 * them) and calls in flight reject with a transient error
 * (`isTransientPgError`); the next checkout opens a new connection, so
 * callers recover by trying again later, as the worker does for any failed
 * job. Nothing here retries a connection error itself: whether a statement
 * that was in flight committed cannot be known, so only the caller, which
 * knows if its work is idempotent, may repeat it.
 */
export class PgDatabase {
  readonly pool: pg.Pool;
  /** The schema set as search_path, or undefined for the role's default. */
  readonly schema: string | undefined;
  /**
   * The search_path this database's connections were asked to start with
   * (`schema`, else the URL's `options=-c search_path=…`), or undefined for
   * the role's default. A connection pooler may drop the startup option
   * (PgBouncer's `ignore_startup_parameters = options`): the migrator checks it arrived.
   */
  readonly requestedSearchPath: string | undefined;
  /** Where the URL points, password masked (`postgres://user:***@host:port/db`): for messages about this database. */
  readonly target: string;
  private readonly logger: StructuredLogger;
  private readonly maxAttempts: number;
  private closed = false;

  constructor(options: PgDatabaseOptions) {
    this.schema = options.schema === undefined ? undefined : checkSchemaName(options.schema);
    this.requestedSearchPath = this.schema ?? searchPathInUrl(options.url);
    this.target = describePgTarget(options.url);
    this.logger = options.logger ?? STDERR_LOGGER;
    this.maxAttempts = Math.max(1, Math.floor(options.maxTransactionAttempts ?? 5));
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      application_name: options.applicationName ?? 'leadsync',
      // A startup option rather than a SET after connect: it holds for the whole
      // session with no extra round trip and cannot be lost by a failed first query.
      ...(this.schema === undefined ? {} : { options: `-c search_path=${this.schema}` }),
    });
    // An idle connection that dies (server restart, network cut) is reported
    // here; without a listener Node would crash the process on it.
    this.pool.on('error', (error) => {
      this.logger.warn({ ...describeError(error), component: 'postgres' }, 'idle PostgreSQL connection failed; the pool drops it and opens a new one when needed');
    });
    // The pool's idle listener comes off a connection when it is handed out,
    // and `withClient`'s goes on only after `await pool.connect()` resumes. A
    // new connection is handed out from inside the socket read that brought
    // its ReadyForQuery; when the same read also holds an error (a server
    // shutting down sends FATAL 57P01 right behind it), the error is emitted
    // in that gap, with no listener: an unhandled 'error' event that ends the
    // process (seen in the chaos test's PostgreSQL restart). So every connection
    // keeps a listener of its own. The connection is marked unqueryable by
    // node-postgres: the caller's next statement fails with a transient error
    // and `withClient` destroys it.
    this.pool.on('connect', (client) => {
      client.on('error', (error) => {
        // Only when no other listener reports it (the gap above): otherwise the pool's or withClient's does.
        if (client.listenerCount('error') > 1) return;
        this.logger.warn({ ...describeError(error), component: 'postgres' }, 'PostgreSQL connection failed as it was handed out; the call using it fails and it is dropped');
      });
    });
  }

  /** One statement on any free connection (autocommit). */
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: readonly unknown[] = []): Promise<pg.QueryResult<Row>> {
    return this.pool.query<Row>(sql, params as unknown[]);
  }

  /**
   * Runs `work` in one transaction (READ COMMITTED unless `isolation` says
   * otherwise) and commits it. A serialization failure or deadlock rolls
   * back and runs `work` again from the start, up to `maxTransactionAttempts`
   * times, so `work` must not keep state across attempts. Any other error
   * rolls back and rejects. A connection that failed is destroyed, not returned to the pool.
   */
  withTransaction<T>(work: (client: PgClient) => Promise<T>, options: { readonly isolation?: 'read committed' | 'repeatable read' | 'serializable' } = {}): Promise<T> {
    return this.retryingConflicts(() => this.runTransactionOnce(work, options.isolation ?? 'read committed'));
  }

  /**
   * `withTransaction` for work that sends its statements through a
   * `PgTransactionScript`: `BEGIN` travels with the first statements and
   * `COMMIT` with the last (`script.commit`), saving their round trips. The
   * same retries; committed after `work` when it did not end the transaction
   * itself; rolled back on any error.
   */
  withScriptedTransaction<T>(work: (script: PgTransactionScript) => Promise<T>): Promise<T> {
    return this.retryingConflicts(() =>
      this.withClient(async (client) => {
        const script = new PgTransactionScript(client);
        try {
          const result = await work(script);
          if (!script.ended) await script.commit();
          return result;
        } catch (error) {
          // Also after a failed COMMIT or a message that failed midway: without a transaction open it only warns.
          await this.rollbackAfter(client);
          throw error;
        }
      }),
    );
  }

  /** Runs a whole transaction again after a serialization failure or deadlock, up to `maxTransactionAttempts` times. */
  private async retryingConflicts<T>(runOnce: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await runOnce();
      } catch (error) {
        if (attempt >= this.maxAttempts || !isRetryableTransactionError(error)) throw error;
        this.logger.debug({ ...describeError(error), attempt, component: 'postgres' }, 'transaction conflict; running it again');
        // Jittered, growing pause so two conflicting transactions do not collide again in step.
        await sleep(Math.random() * 5 * 2 ** attempt);
      }
    }
  }

  /** ROLLBACK after an error; if the connection is gone the server rolls back on its own, and the original error is what the caller needs. */
  private async rollbackAfter(client: PgClient): Promise<void> {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      this.logger.debug({ ...describeError(rollbackError), component: 'postgres' }, 'ROLLBACK failed after an error');
    }
  }

  /** A checked-out connection for work that is not one plain transaction: a scripted transaction, or statements that must share one session. */
  async withClient<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let connectionError: unknown;
    // While checked out, the pool's idle listener is off: without ours a dying
    // connection would raise an unhandled 'error' event.
    const onError = (error: unknown): void => {
      connectionError = error;
      this.logger.warn({ ...describeError(error), component: 'postgres' }, 'PostgreSQL connection failed while in use');
    };
    client.on('error', onError);
    let failure: unknown;
    try {
      return await work(client);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      client.removeListener('error', onError);
      // A connection that failed (or whose state after a failed statement is
      // unknown) is destroyed rather than handed to the next caller.
      const broken = connectionError ?? (failure !== undefined && isTransientPgError(failure) ? failure : undefined);
      client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error('connection failed'));
    }
  }

  private async runTransactionOnce<T>(work: (client: PgClient) => Promise<T>, isolation: string): Promise<T> {
    return this.withClient(async (client) => {
      await client.query(isolation === 'read committed' ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await this.rollbackAfter(client);
        throw error;
      }
    });
  }

  /** Closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
