import type pg from 'pg';
import type { CrmObjectSchema, CrmSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { Clock } from '../../ports/clock.js';
import type { CrmDestination, ReadResult, RecordKey, UpsertInput, UpsertResult } from '../../ports/crm-destination.js';
import { SandboxFaultQueue, type SandboxFault } from './sandbox-crm-faults.js';
import { inputProperties, keyProblem, planRecordChange, sandboxFailure } from './sandbox-crm-record-change.js';
import { ensurePostgresSandboxCrmTables, SANDBOX_LOCK_CLASS } from './sandbox-crm-postgres-tables.js';
import { uniqueFieldsOf, type StoredFields } from './sandbox-crm-tables.js';
import type { SandboxCrmOptions } from './sandbox-crm-destination.js';

const SYSTEM_CLOCK: Clock = { now: () => new Date() };

/** Attempts of an upsert transaction that keeps hitting a deadlock or serialization failure. */
const MAX_ATTEMPTS = 5;

interface RecordRow {
  record_id: string;
  updated_at: string;
  fields: string;
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * The sandbox CRM with its records in PostgreSQL, for leadsync on Postgres:
 * the same validation, unique fields and fault knobs as the SQLite flavour,
 * shared by any number of worker processes. An upsert batch runs in one
 * transaction that first takes an advisory lock on every unique value it
 * names (in a fixed order), so two workers writing the same record take
 * turns, and a record is created once however many of them race to create it.
 * `open` (or the constructor, lazily) creates the tables.
 */
export class PostgresSandboxCrmDestination implements CrmDestination {
  readonly name: string;
  private readonly schema: CrmSchema;
  private readonly uniqueFields: Map<string, Set<string>>;
  private readonly clock: Clock;
  private readonly writer: string;
  private readonly faults = new SandboxFaultQueue();
  /** Creation of the tables, started by the constructor; every call waits for it (and fails with it). */
  private readonly ready: Promise<void>;

  /** Starts creating the sandbox tables in the pool's schema when missing; `open` waits for that. */
  constructor(
    private readonly pool: pg.Pool,
    options: SandboxCrmOptions,
  ) {
    this.name = options.name ?? 'sandbox';
    this.schema = options.schema;
    this.uniqueFields = uniqueFieldsOf(options.schema);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.writer = options.writer ?? 'leadsync';
    this.ready = ensurePostgresSandboxCrmTables(pool, options.schema);
    // Handled here so a failure before the first call is not an unhandled rejection; each call still sees it.
    this.ready.catch(() => undefined);
  }

  /** The destination, once its tables exist. */
  static async open(pool: pg.Pool, options: SandboxCrmOptions): Promise<PostgresSandboxCrmDestination> {
    const destination = new PostgresSandboxCrmDestination(pool, options);
    await destination.ready;
    return destination;
  }

  /** Makes the next `fault.times` read/upsert calls fail for every record. `describe` is never faulted. */
  injectFault(fault: SandboxFault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  describe(): Promise<CrmSchema> {
    return Promise.resolve(this.schema);
  }

  async read(object: string, keys: readonly RecordKey[]): Promise<readonly ReadResult[]> {
    await this.ready;
    const fault = this.faults.take();
    if (fault !== undefined) return keys.map(() => fault);
    const objectSchema = this.objectSchema(object);
    if (objectSchema === undefined) return keys.map(() => sandboxFailure('CRM_OBJECT_UNKNOWN', `no object "${object}"`));
    const valid = keys.filter((key) => keyProblem(objectSchema, key) === undefined);
    // One round trip for the whole batch.
    const rows = valid.length === 0 ? [] : (await this.pool.query<RecordRow & { field: string; value_json: string }>(
      `SELECT u.field, u.value_json, r.record_id, r.updated_at, r.fields::text AS fields
       FROM unnest($2::text[], $3::text[]) AS k (field, value_json)
       JOIN crm_unique_values u ON u.object = $1 AND u.field = k.field AND u.value_json = k.value_json
       JOIN crm_records r ON r.record_id = u.record_id`,
      [object, valid.map((key) => key.idField), valid.map((key) => JSON.stringify(key.id))],
    )).rows;
    const found = new Map(rows.map((row) => [`${row.field}\u0000${row.value_json}`, row]));
    return keys.map((key): ReadResult => {
      const problem = keyProblem(objectSchema, key);
      if (problem !== undefined) return problem;
      const record = found.get(`${key.idField}\u0000${JSON.stringify(key.id)}`);
      if (record === undefined) return { ok: true, found: false };
      const stored = JSON.parse(record.fields) as StoredFields;
      // Fields in name order, as a CRM's API lists properties.
      const properties = Object.fromEntries(Object.keys(stored).sort().map((field): [string, FieldValue] => [field, stored[field]?.v ?? null]));
      return { ok: true, found: true, recordId: record.record_id, properties, updatedAt: record.updated_at };
    });
  }

  async upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    await this.ready;
    const fault = this.faults.take();
    if (fault !== undefined) return inputs.map(() => fault);
    const objectSchema = this.objectSchema(object);
    if (objectSchema === undefined) return inputs.map(() => sandboxFailure('CRM_OBJECT_UNKNOWN', `no object "${object}"`));
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.inTransaction((client) => this.upsertAll(client, objectSchema, inputs));
      } catch (error) {
        const code = codeOf(error);
        if (attempt >= MAX_ATTEMPTS || (code !== '40P01' && code !== '40001')) throw error;
      }
    }
  }

  private objectSchema(object: string): CrmObjectSchema | undefined {
    return Object.hasOwn(this.schema.objects, object) ? this.schema.objects[object] : undefined;
  }

  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken ??= rollbackError instanceof Error ? rollbackError : new Error('ROLLBACK failed');
      });
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  private async upsertAll(client: pg.PoolClient, object: CrmObjectSchema, inputs: readonly UpsertInput[]): Promise<UpsertResult[]> {
    const unique = this.uniqueFields.get(object.name) ?? new Set<string>();
    // Lock every unique value the batch names, in one fixed order: the ids it
    // upserts by and the unique values it would claim.
    const lockKeys = new Set<string>();
    for (const input of inputs) {
      lockKeys.add(JSON.stringify([object.name, input.idField, JSON.stringify(input.id)]));
      for (const [field, value] of Object.entries(input.properties)) {
        if (unique.has(field) && value !== null) lockKeys.add(JSON.stringify([object.name, field, JSON.stringify(value)]));
      }
    }
    await client.query(
      'SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY 1) AS keys',
      [SANDBOX_LOCK_CLASS, [...lockKeys]],
    );
    const findRecord = async (field: string, valueJson: string): Promise<string | undefined> =>
      (await client.query<{ record_id: string }>('SELECT record_id FROM crm_unique_values WHERE object = $1 AND field = $2 AND value_json = $3', [object.name, field, valueJson])).rows[0]?.record_id;

    const now = this.clock.now().toISOString();
    const seen = new Set<string>();
    const results: UpsertResult[] = [];
    for (const input of inputs) {
      results.push(await (async (): Promise<UpsertResult> => {
        const problem = keyProblem(object, input);
        if (problem !== undefined) return problem;
        // Like HubSpot: two inputs resolving to one record in a batch is an error, not "last one wins".
        const identity = `${input.idField}\u0000${input.id}`;
        if (seen.has(identity)) return sandboxFailure('CRM_REJECTED', `duplicate input for ${input.idField} in the same batch`);
        seen.add(identity);
        const given = inputProperties(input);
        if (!given.ok) return given;

        const existing = await findRecord(input.idField, JSON.stringify(input.id));
        const record = existing === undefined ? undefined : (await client.query<RecordRow>('SELECT record_id, updated_at, fields::text AS fields FROM crm_records WHERE record_id = $1', [existing])).rows[0];
        const plan = planRecordChange(
          object,
          given.properties,
          record === undefined ? { exists: false } : { exists: true, fields: JSON.parse(record.fields) as StoredFields },
          unique,
          { now, writer: this.writer },
        );
        if (!plan.ok) return plan;
        for (const claim of plan.moves.claim) {
          const holder = await findRecord(claim.field, claim.valueJson);
          if (holder !== undefined && holder !== existing) return sandboxFailure('CRM_REJECTED', `another ${object.name} already has this ${claim.field} (unique)`);
        }
        if (!plan.changed) return { ok: true, recordId: String(existing), created: false };

        const fieldsJson = JSON.stringify(plan.fields);
        let recordId = existing;
        if (recordId === undefined) {
          recordId = (await client.query<{ record_id: string }>(
            'INSERT INTO crm_records (object, created_at, updated_at, fields) VALUES ($1, $2, $2, $3) RETURNING record_id',
            [object.name, now, fieldsJson],
          )).rows[0]?.record_id;
          if (recordId === undefined) throw new Error('sandbox CRM: record insert returned no row');
        } else {
          await client.query('UPDATE crm_records SET updated_at = $1, fields = $2 WHERE record_id = $3', [now, fieldsJson, recordId]);
        }
        for (const release of plan.moves.release) {
          await client.query('DELETE FROM crm_unique_values WHERE object = $1 AND field = $2 AND value_json = $3 AND record_id = $4', [object.name, release.field, release.valueJson, recordId]);
        }
        for (const claim of plan.moves.claim) {
          await client.query('INSERT INTO crm_unique_values (object, field, value_json, record_id) VALUES ($1, $2, $3, $4)', [object.name, claim.field, claim.valueJson, recordId]);
        }
        return { ok: true, recordId, created: existing === undefined };
      })());
    }
    return results;
  }
}
