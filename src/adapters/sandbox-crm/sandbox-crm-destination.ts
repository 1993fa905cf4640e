import type BetterSqlite3 from 'better-sqlite3';
import type { CrmObjectSchema, CrmSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { Clock } from '../../ports/clock.js';
import type { CrmDestination, CrmRecordFailure, ReadResult, RecordKey, UpsertInput, UpsertResult } from '../../ports/crm-destination.js';
import { SandboxFaultQueue, type SandboxFault } from './sandbox-crm-faults.js';
import { ensureSandboxCrmTables } from './sandbox-crm-tables.js';
import { rejectProperties } from './sandbox-crm-validator.js';

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
 * schema on every write. Lets leadsync run and demo without a CRM account,
 * and lets tests inject 503s, 429s and rejections with `injectFault`.
 */
export class SandboxCrmDestination implements CrmDestination {
  readonly name: string;
  private readonly schema: CrmSchema;
  private readonly clock: Clock;
  private readonly writer: string;
  private readonly faults = new SandboxFaultQueue();
  private readonly findRecord: BetterSqlite3.Statement<[string, string, string], { record_id: number }>;
  private readonly recordById: BetterSqlite3.Statement<[number], { updated_at: string }>;
  private readonly fieldsOf: BetterSqlite3.Statement<[number], { field: string; value_json: string }>;
  private readonly fieldValue: BetterSqlite3.Statement<[number, string], { value_json: string }>;
  private readonly insertRecord: BetterSqlite3.Statement<[string, string, string]>;
  private readonly touchRecord: BetterSqlite3.Statement<[string, number]>;
  private readonly setField: BetterSqlite3.Statement<[number, string, string, string, string, string]>;
  private readonly clearField: BetterSqlite3.Statement<[number, string]>;
  private readonly upsertTransaction: BetterSqlite3.Transaction<(object: CrmObjectSchema, inputs: readonly UpsertInput[]) => UpsertResult[]>;

  constructor(db: BetterSqlite3.Database, options: SandboxCrmOptions) {
    this.name = options.name ?? 'sandbox';
    this.schema = options.schema;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.writer = options.writer ?? 'leadsync';
    ensureSandboxCrmTables(db);
    this.findRecord = db.prepare('SELECT record_id FROM crm_field_values WHERE object = ? AND field = ? AND value_json = ?');
    this.recordById = db.prepare('SELECT updated_at FROM crm_records WHERE record_id = ?');
    this.fieldsOf = db.prepare('SELECT field, value_json FROM crm_field_values WHERE record_id = ? ORDER BY field');
    this.fieldValue = db.prepare('SELECT value_json FROM crm_field_values WHERE record_id = ? AND field = ?');
    this.insertRecord = db.prepare('INSERT INTO crm_records (object, created_at, updated_at) VALUES (?, ?, ?)');
    this.touchRecord = db.prepare('UPDATE crm_records SET updated_at = ? WHERE record_id = ?');
    this.setField = db.prepare(
      `INSERT INTO crm_field_values (record_id, object, field, value_json, modified_at, modified_by) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (record_id, field) DO UPDATE SET
         value_json = excluded.value_json, modified_at = excluded.modified_at, modified_by = excluded.modified_by`,
    );
    this.clearField = db.prepare('DELETE FROM crm_field_values WHERE record_id = ? AND field = ?');
    this.upsertTransaction = db.transaction((object: CrmObjectSchema, inputs: readonly UpsertInput[]) => this.upsertAll(object, inputs));
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
      return keys.map((key): ReadResult => {
        const keyProblem = this.keyProblem(objectSchema, key);
        if (keyProblem !== undefined) return keyProblem;
        const recordId = this.findRecord.get(object, key.idField, JSON.stringify(key.id))?.record_id;
        if (recordId === undefined) return { ok: true, found: false };
        const record = this.recordById.get(recordId);
        if (record === undefined) throw new Error(`sandbox CRM: field values point at missing record ${recordId}`);
        const properties = Object.fromEntries(
          this.fieldsOf.all(recordId).map((row): [string, FieldValue] => [row.field, JSON.parse(row.value_json) as FieldValue]),
        );
        return { ok: true, found: true, recordId: String(recordId), properties, updatedAt: record.updated_at };
      });
    });
  }

  upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    return promised(() => {
      const fault = this.faults.take();
      if (fault !== undefined) return inputs.map(() => fault);
      const objectSchema = this.objectSchema(object);
      if (objectSchema === undefined) return inputs.map(() => failure('CRM_OBJECT_UNKNOWN', `no object "${object}"`));
      return this.upsertTransaction.immediate(objectSchema, inputs);
    });
  }

  private objectSchema(object: string): CrmObjectSchema | undefined {
    return Object.hasOwn(this.schema.objects, object) ? this.schema.objects[object] : undefined;
  }

  private keyProblem(object: CrmObjectSchema, key: RecordKey): CrmRecordFailure | undefined {
    const field = Object.hasOwn(object.fields, key.idField) ? object.fields[key.idField] : undefined;
    if (field === undefined) return failure('CRM_FIELD_UNKNOWN', `${object.name} has no field "${key.idField}"`);
    if (!field.unique) return failure('CRM_REJECTED', `cannot look up ${object.name} by non-unique property ${key.idField}`);
    if (key.id === '') return failure('CRM_REJECTED', `empty ${key.idField}`);
    return undefined;
  }

  private upsertAll(object: CrmObjectSchema, inputs: readonly UpsertInput[]): UpsertResult[] {
    const now = this.clock.now().toISOString();
    const seen = new Set<string>();
    return inputs.map((input): UpsertResult => {
      const keyProblem = this.keyProblem(object, input);
      if (keyProblem !== undefined) return keyProblem;
      // Like HubSpot: two inputs resolving to one record in a batch is an error, not "last one wins".
      const identity = `${input.idField}\u0000${input.id}`;
      if (seen.has(identity)) return failure('CRM_REJECTED', `duplicate input for ${input.idField} in the same batch`);
      seen.add(identity);
      const given = input.properties[input.idField];
      if (given !== undefined && given !== input.id) return failure('CRM_REJECTED', `${input.idField} in properties differs from the id`);

      const idJson = JSON.stringify(input.id);
      const existing = this.findRecord.get(object.name, input.idField, idJson)?.record_id;
      const properties = { ...input.properties, [input.idField]: input.id };
      const rejection = rejectProperties(object, properties, existing === undefined);
      if (rejection !== undefined) return failure(rejection.code, rejection.message);

      const recordId = existing ?? Number(this.insertRecord.run(object.name, now, now).lastInsertRowid);
      let changed = existing === undefined;
      for (const [field, value] of Object.entries(properties)) {
        const before = this.fieldValue.get(recordId, field)?.value_json;
        if (value === null) {
          if (before !== undefined) {
            this.clearField.run(recordId, field);
            changed = true;
          }
          continue;
        }
        const json = JSON.stringify(value);
        // Only real changes move a field's last-modified time, as in a CRM's property history.
        if (json === before) continue;
        this.setField.run(recordId, object.name, field, json, now, this.writer);
        changed = true;
      }
      if (changed && existing !== undefined) this.touchRecord.run(now, recordId);
      return { ok: true, recordId: String(recordId), created: existing === undefined };
    });
  }
}
