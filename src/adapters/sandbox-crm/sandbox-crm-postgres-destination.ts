import type pg from 'pg';
import type { CrmObjectSchema, CrmSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { Clock } from '../../ports/clock.js';
import type { CrmDestination, ReadResult, RecordKey, UpsertInput, UpsertResult } from '../../ports/crm-destination.js';
import { PgTransactionScript } from '../../adapter-support/pg-transaction-script.js';
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

/**
 * The record holding one unique value (`k.field`, `k.value_json` of object `$1`), for a
 * LATERAL join from the list of values asked for: a LATERAL subquery with a LIMIT runs once
 * per value through the primary keys, where a plain join is planned, while the tables'
 * statistics are stale (a new or fast-growing sandbox), as a scan of every unique value of the object.
 */
const HOLDER_LOOKUP = `SELECT r.record_id, r.updated_at, r.fields
  FROM crm_unique_values u JOIN crm_records r ON r.record_id = u.record_id
  WHERE u.object = $1 AND u.field = k.field AND u.value_json = k.value_json
  LIMIT 1`;

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
      `SELECT k.field, k.value_json, r.record_id, r.updated_at, r.fields::text AS fields
       FROM unnest($2::text[], $3::text[]) AS k (field, value_json)
       CROSS JOIN LATERAL (${HOLDER_LOOKUP}) AS r`,
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
        return await this.inTransaction((script) => this.upsertAll(script, objectSchema, inputs));
      } catch (error) {
        const code = codeOf(error);
        if (attempt >= MAX_ATTEMPTS || (code !== '40P01' && code !== '40001')) throw error;
      }
    }
  }

  private objectSchema(object: string): CrmObjectSchema | undefined {
    return Object.hasOwn(this.schema.objects, object) ? this.schema.objects[object] : undefined;
  }

  /** Runs `work` in one transaction, its statements sent as a script (`BEGIN` and `COMMIT` travel with them). */
  private async inTransaction<T>(work: (script: PgTransactionScript) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      const script = new PgTransactionScript(client);
      const result = await work(script);
      if (!script.ended) await script.commit();
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

  /**
   * The batch in a fixed number of statements (lock, one read, one write) and
   * two messages (`BEGIN`, lock and read; write and `COMMIT`):
   * inputs are decided here in order, each against the records and unique
   * values as the earlier inputs of the batch leave them, exactly as if they
   * were written one by one; then every change goes out in one statement.
   */
  private async upsertAll(script: PgTransactionScript, object: CrmObjectSchema, inputs: readonly UpsertInput[]): Promise<UpsertResult[]> {
    const unique = this.uniqueFields.get(object.name) ?? new Set<string>();
    // Lock every unique value the batch names, in one fixed order: the ids it
    // upserts by and the unique values it would claim.
    const named = new Map<string, { field: string; valueJson: string }>();
    for (const input of inputs) {
      const idJson = JSON.stringify(input.id);
      named.set(valueKey(input.idField, idJson), { field: input.idField, valueJson: idJson });
      for (const [field, value] of Object.entries(input.properties)) {
        if (unique.has(field) && value !== null) named.set(valueKey(field, JSON.stringify(value)), { field, valueJson: JSON.stringify(value) });
      }
    }
    const lockKeys = [...named.values()].map(({ field, valueJson }) => JSON.stringify([object.name, field, valueJson]));
    // Read after the locks (a statement of its own, so with a snapshot taken after them): nobody
    // else changes these values until we commit.
    const [, read] = await script.run([
      {
        text: 'SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY 1) AS keys',
        values: [SANDBOX_LOCK_CLASS, lockKeys],
      },
      {
        text: `SELECT k.field, k.value_json, r.record_id, r.fields::text AS fields
       FROM unnest($2::text[], $3::text[]) AS k (field, value_json)
       CROSS JOIN LATERAL (${HOLDER_LOOKUP}) AS r`,
        values: [object.name, [...named.values()].map((entry) => entry.field), [...named.values()].map((entry) => entry.valueJson)],
      },
    ]);
    const rows = (read?.rows ?? []) as { field: string; value_json: string; record_id: string; fields: string }[];
    const records = new Map<string, BatchRecord>();
    /** Who holds each unique value the batch named: as stored, then as the batch moves them. */
    const holders = new Map<string, BatchRecord>();
    const storedHolders = new Map<string, string>();
    for (const row of rows) {
      let record = records.get(row.record_id);
      if (record === undefined) {
        record = { id: row.record_id, fields: JSON.parse(row.fields) as StoredFields, changed: false };
        records.set(row.record_id, record);
      }
      holders.set(valueKey(row.field, row.value_json), record);
      storedHolders.set(valueKey(row.field, row.value_json), row.record_id);
    }

    const now = this.clock.now().toISOString();
    const seen = new Set<string>();
    const created: BatchRecord[] = [];
    const unnamedReleases: UniqueValueRow[] = [];
    const outcomes = inputs.map((input): UpsertResult | { record: BatchRecord; created: boolean } => {
      const problem = keyProblem(object, input);
      if (problem !== undefined) return problem;
      // Like HubSpot: two inputs resolving to one record in a batch is an error, not "last one wins".
      const identity = `${input.idField}\u0000${input.id}`;
      if (seen.has(identity)) return sandboxFailure('CRM_REJECTED', `duplicate input for ${input.idField} in the same batch`);
      seen.add(identity);
      const given = inputProperties(input);
      if (!given.ok) return given;

      const existing = holders.get(valueKey(input.idField, JSON.stringify(input.id)));
      const plan = planRecordChange(
        object,
        given.properties,
        existing === undefined ? { exists: false } : { exists: true, fields: existing.fields },
        unique,
        { now, writer: this.writer },
      );
      if (!plan.ok) return plan;
      for (const claim of plan.moves.claim) {
        const holder = holders.get(valueKey(claim.field, claim.valueJson));
        if (holder !== undefined && holder !== existing) return sandboxFailure('CRM_REJECTED', `another ${object.name} already has this ${claim.field} (unique)`);
      }
      if (existing !== undefined && !plan.changed) return { record: existing, created: false };
      const record = existing ?? { id: undefined, fields: {}, changed: true };
      if (existing === undefined) created.push(record);
      record.fields = plan.fields;
      record.changed = true;
      // A value is released only from the record holding it (after a re-index, another record may).
      // A value no input names was not read: its row is deleted if this record holds it.
      for (const release of plan.moves.release) {
        const key = valueKey(release.field, release.valueJson);
        if (!named.has(key)) {
          if (record.id !== undefined) unnamedReleases.push({ ...release, recordId: record.id });
        } else if (holders.get(key) === record) holders.delete(key);
      }
      for (const claim of plan.moves.claim) holders.set(valueKey(claim.field, claim.valueJson), record);
      return { record, created: existing === undefined };
    });

    await this.writeBatch(script, object.name, now, {
      created,
      updated: [...records.values()].filter((record) => record.changed),
      released: [...releasedValues(named, holders, storedHolders), ...unnamedReleases],
      claimed: claimedValues(named, holders, storedHolders),
    });
    return outcomes.map((outcome): UpsertResult => {
      if (!('record' in outcome)) return outcome;
      if (outcome.record.id === undefined) throw new Error('sandbox CRM: a created record got no id');
      return { ok: true, recordId: outcome.record.id, created: outcome.created };
    });
  }

  /**
   * One statement for the whole batch: new records (ids drawn from the
   * column's sequence, so each input learns its record's id), changed
   * records, and the unique values that changed holder, sent with `COMMIT`.
   * Gives the created records their ids.
   */
  private async writeBatch(script: PgTransactionScript, object: string, now: string, changes: BatchChanges): Promise<void> {
    const { created, updated, released, claimed } = changes;
    const ordinals = new Map(created.map((record, index) => [record, index + 1]));
    if (created.length === 0 && updated.length === 0 && released.length === 0 && claimed.length === 0) return;
    // Rows in id order, so two transactions updating the same records lock them in the same order.
    const updates = [...updated].filter((record) => record.id !== undefined).sort((a, b) => Number(BigInt(a.id ?? '0') - BigInt(b.id ?? '0')));
    // Sub-statements of one statement see the same snapshot, so they must not touch the same
    // rows: released and claimed values are different keys, and the foreign keys of the new
    // unique values are checked at the end of the statement, when the new records exist.
    const [written] = await script.commit([{
      text: `WITH fresh AS (
         SELECT nextval(pg_get_serial_sequence('crm_records', 'record_id')) AS record_id, ord, fields
         FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS n (fields, ord)
       ), inserted AS (
         INSERT INTO crm_records (record_id, object, created_at, updated_at, fields) OVERRIDING SYSTEM VALUE
         SELECT record_id, $1, $2, $2, fields FROM fresh ORDER BY ord
       ), updated AS (
         UPDATE crm_records r SET updated_at = $2, fields = u.fields
         FROM jsonb_to_recordset($4::jsonb) AS u (record_id bigint, fields jsonb)
         WHERE r.record_id = u.record_id AND r.record_id = ANY ($12::bigint[])
       ), released AS (
         DELETE FROM crm_unique_values v USING unnest($5::text[], $6::text[], $7::bigint[]) AS d (field, value_json, record_id)
         WHERE v.object = $1 AND v.field = d.field AND v.value_json = d.value_json AND v.record_id = d.record_id
       ), claimed AS (
         INSERT INTO crm_unique_values (object, field, value_json, record_id)
         SELECT $1, c.field, c.value_json, coalesce(c.record_id, fresh.record_id)
         FROM unnest($8::text[], $9::text[], $10::bigint[], $11::bigint[]) AS c (field, value_json, record_id, ord)
         LEFT JOIN fresh ON fresh.ord = c.ord
         ON CONFLICT (object, field, value_json) DO UPDATE SET record_id = excluded.record_id
       )
       SELECT record_id, ord FROM fresh`,
      values: [
        object, now,
        // Fields as one jsonb parameter each (not jsonb[] literals, escaped twice): plain JSON on the wire,
        // parsed once by the server.
        JSON.stringify(created.map((record) => record.fields)),
        JSON.stringify(updates.map((record) => ({ record_id: record.id, fields: record.fields }))),
        released.map((value) => value.field), released.map((value) => value.valueJson), released.map((value) => value.recordId),
        claimed.map((value) => value.field), claimed.map((value) => value.valueJson),
        claimed.map((value) => value.holder.id ?? null), claimed.map((value) => (value.holder.id === undefined ? (ordinals.get(value.holder) ?? null) : null)),
        // The updated records' ids again, as an array: `= ANY` looks them up by primary key.
        updates.map((record) => record.id),
      ],
    }]);
    const rows = (written?.rows ?? []) as { record_id: string; ord: string }[];
    const ids = new Map(rows.map((row) => [Number(row.ord), row.record_id]));
    created.forEach((record, index) => {
      record.id = ids.get(index + 1);
    });
  }
}

/** A record as a batch sees it: its id once stored, its fields as the batch's earlier inputs left them. */
interface BatchRecord {
  id: string | undefined;
  fields: StoredFields;
  /** Whether the batch writes it. */
  changed: boolean;
}

interface UniqueValueRow {
  readonly field: string;
  readonly valueJson: string;
  readonly recordId: string;
}

/** What a batch writes. */
interface BatchChanges {
  /** Records to create, in input order. */
  readonly created: readonly BatchRecord[];
  readonly updated: readonly BatchRecord[];
  /** Unique values to delete, each only if that record still holds it. */
  readonly released: readonly UniqueValueRow[];
  /** Unique values with a new holder (created records have no id yet). */
  readonly claimed: readonly { readonly field: string; readonly valueJson: string; readonly holder: BatchRecord }[];
}

function valueKey(field: string, valueJson: string): string {
  return `${field}\u0000${valueJson}`;
}

/** Named values the batch leaves without a holder that had one when read. */
function releasedValues(named: ReadonlyMap<string, { field: string; valueJson: string }>, holders: ReadonlyMap<string, BatchRecord>, stored: ReadonlyMap<string, string>): UniqueValueRow[] {
  return [...named].flatMap(([key, value]) => {
    const recordId = stored.get(key);
    return recordId !== undefined && !holders.has(key) ? [{ ...value, recordId }] : [];
  });
}

/** Named values the batch gives a holder other than the one they had when read. */
function claimedValues(named: ReadonlyMap<string, { field: string; valueJson: string }>, holders: ReadonlyMap<string, BatchRecord>, stored: ReadonlyMap<string, string>): BatchChanges['claimed'] {
  return [...named].flatMap(([key, value]) => {
    const holder = holders.get(key);
    return holder !== undefined && (holder.id === undefined || holder.id !== stored.get(key)) ? [{ ...value, holder }] : [];
  });
}
