import type BetterSqlite3 from 'better-sqlite3';
import type { CrmObjectSchema, CrmSchema } from '../../core/crm-schema/crm-schema-types.js';
import type { Clock } from '../../ports/clock.js';
import type { CrmDestination, CrmRecordFailure, ReadResult, RecordKey, UpsertInput, UpsertResult } from '../../ports/crm-destination.js';
import { writeAsConfigured } from '../../adapter-support/sqlite-nonblocking-write.js';
import { SandboxFaultQueue, type SandboxFault } from './sandbox-crm-faults.js';
import { decodeSandboxRecord, encodeSandboxRecord, sandboxRecordProperties } from './sandbox-crm-sqlite-record-codec.js';
import { ensureSandboxCrmTables, uniqueFieldsOf } from './sandbox-crm-tables.js';
import { inputProperties, keyProblem, planRecordChange } from './sandbox-crm-record-change.js';

export interface SandboxCrmOptions {
  /** The CRM's declared schema: what `describe` returns and what writes are checked against. */
  readonly schema: CrmSchema;
  /** (Default: `sandbox`) */
  readonly name?: string;
  /** Time of record and field changes. (Default: the system clock) */
  readonly clock?: Clock;
  /** Recorded as the last modifier of the fields it writes. (Default: `leadsync`) */
  readonly writer?: string;
}

const SYSTEM_CLOCK: Clock = { now: () => new Date() };

/** A record found by a unique value; the record's columns are null when the value points at a missing record. */
interface FetchedRecord {
  readonly record_id: number;
  readonly updated_at: string | null;
  readonly fields_json: string | null;
}

function failure(code: CrmRecordFailure['code'], message: string): CrmRecordFailure {
  return { ok: false, code, message, retryable: false };
}

/** Runs synchronous SQLite work as a promise that rejects rather than throws. */
function promised<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(work());
  });
}

/**
 * A real local CRM: records and field values in its own SQLite tables, with
 * last-modified time and modifier per field, checked against a declared
 * schema on every write, unique fields kept unique. Lets leadsync run and
 * demo without a CRM account, and lets tests inject 503s, 429s and rejections
 * with `injectFault`.
 */
export class SandboxCrmDestination implements CrmDestination {
  readonly name: string;
  private readonly schema: CrmSchema;
  private readonly uniqueFields: Map<string, Set<string>>;
  private readonly clock: Clock;
  private readonly writer: string;
  private readonly faults = new SandboxFaultQueue();
  private readonly findRecord: BetterSqlite3.Statement<[string, string, string], { record_id: number }>;
  private readonly fetchRecord: BetterSqlite3.Statement<[string, string, string], FetchedRecord>;
  private readonly insertRecord: BetterSqlite3.Statement<[string, string, string, string]>;
  private readonly updateRecord: BetterSqlite3.Statement<[string, string, number]>;
  private readonly claimValue: BetterSqlite3.Statement<[string, string, string, number]>;
  private readonly releaseValue: BetterSqlite3.Statement<[string, string, string, number]>;
  private readonly upsertTransaction: BetterSqlite3.Transaction<(object: CrmObjectSchema, inputs: readonly UpsertInput[]) => UpsertResult[]>;
  private readonly readTransaction: BetterSqlite3.Transaction<(object: string, objectSchema: CrmObjectSchema, keys: readonly RecordKey[]) => ReadResult[]>;

  constructor(private readonly db: BetterSqlite3.Database, options: SandboxCrmOptions) {
    this.name = options.name ?? 'sandbox';
    this.schema = options.schema;
    this.uniqueFields = uniqueFieldsOf(options.schema);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.writer = options.writer ?? 'leadsync';
    ensureSandboxCrmTables(db, options.schema);
    this.findRecord = db.prepare('SELECT record_id FROM crm_unique_values WHERE object = ? AND field = ? AND value_json = ?');
    // Look-up and fetch in one statement. LEFT JOIN, so a unique value left pointing at a missing record is seen as such.
    this.fetchRecord = db.prepare(
      `SELECT u.record_id, r.updated_at, r.fields_json FROM crm_unique_values u LEFT JOIN crm_records r ON r.record_id = u.record_id
       WHERE u.object = ? AND u.field = ? AND u.value_json = ?`,
    );
    this.insertRecord = db.prepare('INSERT INTO crm_records (object, created_at, updated_at, fields_json) VALUES (?, ?, ?, ?)');
    this.updateRecord = db.prepare('UPDATE crm_records SET updated_at = ?, fields_json = ? WHERE record_id = ?');
    this.claimValue = db.prepare('INSERT INTO crm_unique_values (object, field, value_json, record_id) VALUES (?, ?, ?, ?)');
    this.releaseValue = db.prepare('DELETE FROM crm_unique_values WHERE object = ? AND field = ? AND value_json = ? AND record_id = ?');
    this.upsertTransaction = db.transaction((object: CrmObjectSchema, inputs: readonly UpsertInput[]) => this.upsertAll(object, inputs));
    // One read transaction for a batch read: one snapshot of the CRM, and one lock taken rather than one per statement.
    this.readTransaction = db.transaction((object: string, objectSchema: CrmObjectSchema, keys: readonly RecordKey[]) => this.readAll(object, objectSchema, keys));
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

  read(object: string, keys: readonly RecordKey[]): Promise<readonly ReadResult[]> {
    return promised(() => {
      const fault = this.faults.take();
      if (fault !== undefined) return keys.map(() => fault);
      const objectSchema = this.objectSchema(object);
      if (objectSchema === undefined) return keys.map(() => failure('CRM_OBJECT_UNKNOWN', `no object "${object}"`));
      return this.readTransaction.deferred(object, objectSchema, keys);
    });
  }

  upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    const fault = this.faults.take();
    if (fault !== undefined) return Promise.resolve(inputs.map(() => fault));
    const objectSchema = this.objectSchema(object);
    if (objectSchema === undefined) return Promise.resolve(inputs.map(() => failure('CRM_OBJECT_UNKNOWN', `no object "${object}"`)));
    // On the HTTP thread's connection of `leadsync serve` (an approval's write), a busy write lock is waited for
    // without sleeping the event loop; the worker thread's connection keeps the busy handler (decision 0033).
    return writeAsConfigured(this.db, () => this.upsertTransaction.immediate(objectSchema, inputs));
  }

  private objectSchema(object: string): CrmObjectSchema | undefined {
    return Object.hasOwn(this.schema.objects, object) ? this.schema.objects[object] : undefined;
  }

  private readAll(object: string, objectSchema: CrmObjectSchema, keys: readonly RecordKey[]): ReadResult[] {
    return keys.map((key): ReadResult => {
      const problem = keyProblem(objectSchema, key);
      if (problem !== undefined) return problem;
      const record = this.fetchRecord.get(object, key.idField, JSON.stringify(key.id));
      if (record === undefined) return { ok: true, found: false };
      if (record.fields_json === null || record.updated_at === null) throw new Error(`sandbox CRM: unique value points at missing record ${record.record_id}`);
      return { ok: true, found: true, recordId: String(record.record_id), properties: sandboxRecordProperties(record.fields_json), updatedAt: record.updated_at };
    });
  }

  private upsertAll(object: CrmObjectSchema, inputs: readonly UpsertInput[]): UpsertResult[] {
    const now = this.clock.now().toISOString();
    const seen = new Set<string>();
    const unique = this.uniqueFields.get(object.name) ?? new Set<string>();
    return inputs.map((input): UpsertResult => {
      const problem = keyProblem(object, input);
      if (problem !== undefined) return problem;
      // Like HubSpot: two inputs resolving to one record in a batch is an error, not "last one wins".
      const identity = `${input.idField}\u0000${input.id}`;
      if (seen.has(identity)) return failure('CRM_REJECTED', `duplicate input for ${input.idField} in the same batch`);
      seen.add(identity);
      const given = inputProperties(input);
      if (!given.ok) return given;
      const { properties } = given;

      const idJson = JSON.stringify(input.id);
      const record = this.fetchRecord.get(object.name, input.idField, idJson);
      const existing = record?.record_id;
      const plan = planRecordChange(
        object,
        properties,
        record?.fields_json == null ? { exists: false } : { exists: true, fields: decodeSandboxRecord(record.fields_json) },
        unique,
        { now, writer: this.writer },
      );
      if (!plan.ok) return plan;
      const { fields, moves, changed } = plan;
      for (const claim of moves.claim) {
        // The key's own value was looked up just above (a create claims it): no second look-up.
        const holder = claim.field === input.idField && claim.valueJson === idJson ? existing : this.findRecord.get(object.name, claim.field, claim.valueJson)?.record_id;
        if (holder !== undefined && holder !== existing) return failure('CRM_REJECTED', `another ${object.name} already has this ${claim.field} (unique)`);
      }
      if (!changed) return { ok: true, recordId: String(existing), created: false };

      const fieldsJson = encodeSandboxRecord(fields);
      const recordId = existing ?? Number(this.insertRecord.run(object.name, now, now, fieldsJson).lastInsertRowid);
      if (existing !== undefined) this.updateRecord.run(now, fieldsJson, recordId);
      for (const release of moves.release) this.releaseValue.run(object.name, release.field, release.valueJson, recordId);
      for (const claim of moves.claim) this.claimValue.run(object.name, claim.field, claim.valueJson, recordId);
      return { ok: true, recordId: String(recordId), created: existing === undefined };
    });
  }
}
