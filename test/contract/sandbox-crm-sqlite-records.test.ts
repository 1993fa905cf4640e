import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-destination.js';
import { decodeSandboxRecord, encodeSandboxRecord, sandboxRecordProperties } from '../../src/adapters/sandbox-crm/sandbox-crm-sqlite-record-codec.js';
import type { StoredField, StoredFields } from '../../src/adapters/sandbox-crm/sandbox-crm-tables.js';
import type { CrmSchema, FieldValue } from '../../src/core/crm-schema/crm-schema-types.js';
import { ManualClock } from '../support/manual-clock.js';
import { CONTRACT_CRM_SCHEMA } from './crm-destination.contract.js';

// The SQLite sandbox stores a record as [at, by, {field: value}, {field: [at, by]}?]
// (sandbox-crm-sqlite-record-codec.ts); databases of the first JSON layout,
// {field: {v, at, by}}, are converted when a sandbox opens them.

const names = fc.oneof(
  fc.constantFrom('email', 'firstname', '__proto__', 'constructor', 'toString', '', '0', '12', 'a.b', 'q"z', 'x\\y', '$[2]', 'ünï', 'tab\there'),
  fc.string({ maxLength: 6 }),
);
const values: fc.Arbitrary<Exclude<FieldValue, null>> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('', 'u\u0000\ud800@example.com', '"quoted"', 'line\nbreak'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0.1, 1e21, -0, 2 ** 53),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);
const changes = fc.record({
  at: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'),
  by: fc.constantFrom('leadsync', 'someone', ''),
});
/** Fields as a JS object holds them (in its own key order), built without assignment so "__proto__" stays a field. */
const storedFields: fc.Arbitrary<StoredFields> = fc.array(fc.tuple(names, values, changes), { maxLength: 8 }).map((entries) => {
  const fields: StoredFields = {};
  for (const [name, v, change] of entries) Object.defineProperty(fields, name, { value: { v, ...change } satisfies StoredField, enumerable: true, writable: true, configurable: true });
  return fields;
});

/** The fields as JSON can hold them (-0 is 0): what any layout stores. */
function asJson(fields: StoredFields): StoredFields {
  return JSON.parse(JSON.stringify(fields)) as StoredFields;
}

/** Values in name order, as a read lists them (an object puts integer-like names first whatever the order of insertion). */
function valuesByName(fields: StoredFields): Record<string, FieldValue> {
  const properties: Record<string, FieldValue> = {};
  for (const name of Object.keys(fields).sort()) Object.defineProperty(properties, name, { value: fields[name]?.v, enumerable: true, writable: true, configurable: true });
  return properties;
}

/** Own keys and entries, in order: toEqual alone would not see a changed order or an inherited "__proto__". */
function entriesOf(fields: Record<string, unknown>): [string, unknown][] {
  return Object.keys(fields).map((name) => [name, Object.getOwnPropertyDescriptor(fields, name)?.value]);
}

/** The tables and view of the first JSON layout, as sandboxes before the compact form created them. */
function firstJsonLayout(db: Database.Database): void {
  db.exec(`
    CREATE TABLE crm_records (
      record_id INTEGER PRIMARY KEY AUTOINCREMENT, object TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      fields_json TEXT NOT NULL DEFAULT '{}'
    ) STRICT;
    CREATE TABLE crm_unique_values (
      object TEXT NOT NULL, field TEXT NOT NULL, value_json TEXT NOT NULL, record_id INTEGER NOT NULL REFERENCES crm_records (record_id),
      PRIMARY KEY (object, field, value_json)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE crm_unique_fields (object TEXT NOT NULL, field TEXT NOT NULL, PRIMARY KEY (object, field)) STRICT, WITHOUT ROWID;
    CREATE VIEW crm_field_values (record_id, object, field, value_json, modified_at, modified_by) AS
      SELECT r.record_id, r.object, f.key, f.value -> '$.v', f.value ->> '$.at', f.value ->> '$.by'
      FROM crm_records r, json_each(r.fields_json) f;
  `);
}

const fieldValuesView = (db: Database.Database): unknown[] =>
  db.prepare('SELECT record_id, object, field, value_json, modified_at, modified_by FROM crm_field_values ORDER BY record_id, field').all();

function openDb(): Database.Database {
  const db = new Database(':memory:');
  onTestFinished(() => {
    db.close();
  });
  return db;
}

describe('SQLite sandbox CRM records', () => {
  it('decodes what it encodes: every field with its value and last change, in order; a read lists the values by name', () => {
    fc.assert(
      fc.property(storedFields, (fields) => {
        const json = encodeSandboxRecord(fields);
        expect(entriesOf(decodeSandboxRecord(json))).toEqual(entriesOf(asJson(fields)));
        const properties = sandboxRecordProperties(json);
        expect(entriesOf(properties)).toEqual(entriesOf(valuesByName(asJson(fields))));
        // The first JSON layout (rows not yet converted) reads the same.
        const firstLayout = JSON.stringify(fields);
        expect(entriesOf(decodeSandboxRecord(firstLayout))).toEqual(entriesOf(asJson(fields)));
        expect(entriesOf(sandboxRecordProperties(firstLayout))).toEqual(entriesOf(properties));
      }),
      { numRuns: 500 },
    );
  });

  it('stores the last change most fields share once for the row, and only the others per field', () => {
    const at1 = '2026-01-01T00:00:00.000Z';
    const at2 = '2026-01-02T00:00:00.000Z';
    expect(encodeSandboxRecord({ email: { v: 'ada@example.com', at: at1, by: 'leadsync' }, employees: { v: 250, at: at1, by: 'leadsync' } })).toBe(
      `["${at1}","leadsync",{"email":"ada@example.com","employees":250}]`,
    );
    expect(encodeSandboxRecord({ a: { v: 'x', at: at2, by: 'someone' }, b: { v: true, at: at1, by: 'leadsync' }, c: { v: ['p', 'q'], at: at1, by: 'leadsync' } })).toBe(
      `["${at1}","leadsync",{"a":"x","b":true,"c":["p","q"]},{"a":["${at2}","someone"]}]`,
    );
    // A tie goes to the pair seen first.
    expect(encodeSandboxRecord({ a: { v: 1, at: at2, by: 'x' }, b: { v: 2, at: at1, by: 'x' } })).toBe(`["${at2}","x",{"a":1,"b":2},{"b":["${at1}","x"]}]`);
    expect(encodeSandboxRecord({})).toBe('["","",{}]');
  });

  it('converts a database of the first JSON layout when it opens it: each row byte-equal to what the store writes for its fields, the same view', () => {
    fc.assert(
      fc.property(fc.array(storedFields, { minLength: 1, maxLength: 6 }), (records) => {
        const db = openDb();
        firstJsonLayout(db);
        const insert = db.prepare<[number, string]>("INSERT INTO crm_records (record_id, object, created_at, updated_at, fields_json) VALUES (?, 'contact', '2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z', ?)");
        records.forEach((fields, i) => insert.run(i + 1, JSON.stringify(fields)));
        const viewBefore = fieldValuesView(db);

        new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock: new ManualClock() });
        const rows = db.prepare<[], { fields_json: string }>('SELECT fields_json FROM crm_records ORDER BY record_id').all();
        records.forEach((fields, i) => {
          const json = rows[i]?.fields_json ?? '';
          expect(json.startsWith('[')).toBe(true);
          expect(entriesOf(decodeSandboxRecord(json))).toEqual(entriesOf(asJson(fields)));
          expect(json).toBe(encodeSandboxRecord(fields));
        });
        expect(fieldValuesView(db)).toEqual(viewBefore);
        db.close();
      }),
      { numRuns: 200 },
    );
  });

  it('converted rows are byte-equal to the rows the store writes for the same fields', () => {
    const db = openDb();
    firstJsonLayout(db);
    const at1 = '2026-01-01T00:00:00.000Z';
    const at2 = '2026-01-02T00:00:00.000Z';
    const records: StoredFields[] = [
      { email: { v: 'ada@example.com', at: at1, by: 'leadsync' }, employees: { v: 250, at: at1, by: 'leadsync' }, tags: { v: ['a', 'b'], at: at1, by: 'leadsync' } },
      { country: { v: 'US', at: at2, by: 'leadsync' }, name: { v: 'Bench 0', at: at1, by: 'leadsync' }, region: { v: 'NA', at: at2, by: 'leadsync' }, domain: { v: 'bench.com', at: at1, by: 'leadsync' } },
      { email: { v: 'grace@example.com', at: at1, by: 'someone' }, subscribed: { v: false, at: at2, by: 'leadsync' }, score: { v: -1.5, at: at2, by: 'leadsync' } },
      {},
    ];
    const insert = db.prepare<[string]>("INSERT INTO crm_records (object, created_at, updated_at, fields_json) VALUES ('contact', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', ?)");
    for (const fields of records) insert.run(JSON.stringify(fields));
    new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock: new ManualClock() });
    expect(db.prepare<[], { fields_json: string }>('SELECT fields_json FROM crm_records ORDER BY record_id').all().map((row) => row.fields_json)).toEqual(records.map(encodeSandboxRecord));
  });

  it('keeps serving a converted database: records found by their unique values, updated in the compact form, other fields keep their last change', async () => {
    const db = openDb();
    firstJsonLayout(db);
    db.exec(`
      INSERT INTO crm_records VALUES (1, 'contact', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z',
        '{"email":{"v":"ada@example.com","at":"2026-01-01T00:00:00.000Z","by":"leadsync"},"jobtitle":{"v":"CTO","at":"2026-01-02T00:00:00.000Z","by":"someone"}}');
      INSERT INTO crm_unique_values VALUES ('contact', 'email', '"ada@example.com"', 1);
      INSERT INTO crm_unique_fields VALUES ('contact', 'email');
    `);
    const clock = new ManualClock();
    clock.advance(3 * 86_400_000);
    const crm = new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock });
    expect(await crm.read('contact', [{ idField: 'email', id: 'ada@example.com' }])).toEqual([
      { ok: true, found: true, recordId: '1', properties: { email: 'ada@example.com', jobtitle: 'CTO' }, updatedAt: '2026-01-02T00:00:00.000Z' },
    ]);
    expect(await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada' } }])).toEqual([{ ok: true, recordId: '1', created: false }]);
    expect(fieldValuesView(db)).toEqual([
      { record_id: 1, object: 'contact', field: 'email', value_json: '"ada@example.com"', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
      { record_id: 1, object: 'contact', field: 'firstname', value_json: '"Ada"', modified_at: '2026-01-04T00:00:00.000Z', modified_by: 'leadsync' },
      { record_id: 1, object: 'contact', field: 'jobtitle', value_json: '"CTO"', modified_at: '2026-01-02T00:00:00.000Z', modified_by: 'someone' },
    ]);
    // Opening it again converts nothing more and keeps the view.
    new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock });
    expect(db.prepare('SELECT fields_json FROM crm_records').get()).toEqual({
      fields_json: '["2026-01-01T00:00:00.000Z","leadsync",{"email":"ada@example.com","jobtitle":"CTO","firstname":"Ada"},{"jobtitle":["2026-01-02T00:00:00.000Z","someone"],"firstname":["2026-01-04T00:00:00.000Z","leadsync"]}]',
    });
  });

  it('converts first-layout rows of a database whose view was dropped, and creates the view again', async () => {
    const db = openDb();
    firstJsonLayout(db);
    db.exec(`
      INSERT INTO crm_records VALUES (1, 'contact', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
        '{"email":{"v":"ada@example.com","at":"2026-01-01T00:00:00.000Z","by":"leadsync"}}');
      INSERT INTO crm_unique_values VALUES ('contact', 'email', '"ada@example.com"', 1);
      INSERT INTO crm_unique_fields VALUES ('contact', 'email');
      DROP VIEW crm_field_values;
    `);
    const crm = new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock: new ManualClock() });
    expect(db.prepare('SELECT fields_json FROM crm_records').get()).toEqual({ fields_json: '["2026-01-01T00:00:00.000Z","leadsync",{"email":"ada@example.com"}]' });
    expect(fieldValuesView(db)).toEqual([
      { record_id: 1, object: 'contact', field: 'email', value_json: '"ada@example.com"', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
    ]);
    expect(await crm.read('contact', [{ idField: 'email', id: 'ada@example.com' }])).toMatchObject([{ ok: true, found: true, recordId: '1', properties: { email: 'ada@example.com' } }]);
  });

  it('reads a first-layout row written after the conversion (by a process of the earlier version) as it was written', async () => {
    const { crm, db } = ((): { crm: SandboxCrmDestination; db: Database.Database } => {
      const opened = openDb();
      return { crm: new SandboxCrmDestination(opened, { schema: CONTRACT_CRM_SCHEMA, clock: new ManualClock() }), db: opened };
    })();
    await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada' } }]);
    db.prepare("UPDATE crm_records SET fields_json = '{\"email\":{\"v\":\"ada@example.com\",\"at\":\"2026-01-01T00:00:00.000Z\",\"by\":\"leadsync\"},\"firstname\":{\"v\":\"Grace\",\"at\":\"2026-01-05T00:00:00.000Z\",\"by\":\"old\"}}'").run();
    expect(await crm.read('contact', [{ idField: 'email', id: 'ada@example.com' }])).toMatchObject([{ ok: true, found: true, properties: { email: 'ada@example.com', firstname: 'Grace' } }]);
    expect(await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { jobtitle: 'CTO' } }])).toMatchObject([{ ok: true, created: false }]);
    expect(decodeSandboxRecord(db.prepare<[], { fields_json: string }>('SELECT fields_json FROM crm_records').get()?.fields_json ?? '')).toEqual({
      email: { v: 'ada@example.com', at: '2026-01-01T00:00:00.000Z', by: 'leadsync' },
      firstname: { v: 'Grace', at: '2026-01-05T00:00:00.000Z', by: 'old' },
      jobtitle: { v: 'CTO', at: '2026-01-01T00:00:00.000Z', by: 'leadsync' },
    });
  });

  it('re-indexes unique values from compact rows when the schema makes another field unique', async () => {
    const db = openDb();
    const crm = new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock: new ManualClock() });
    await crm.upsert('contact', [
      { idField: 'email', id: 'ada@example.com', properties: { jobtitle: 'CTO' } },
      { idField: 'email', id: 'grace@example.com', properties: { jobtitle: 'CEO' } },
    ]);
    const contact = CONTRACT_CRM_SCHEMA.objects['contact'];
    const jobtitle = contact?.fields['jobtitle'];
    if (!contact || !jobtitle) throw new Error('contract schema has no contact.jobtitle');
    const schema: CrmSchema = { ...CONTRACT_CRM_SCHEMA, objects: { contact: { ...contact, fields: { ...contact.fields, jobtitle: { ...jobtitle, unique: true } } } } };
    const byTitle = new SandboxCrmDestination(db, { schema });
    const reads = await byTitle.read('contact', [{ idField: 'jobtitle', id: 'CEO' }, { idField: 'jobtitle', id: 'CTO' }]);
    expect(reads.map((read) => (read.ok && read.found ? read.properties['email'] : null))).toEqual(['grace@example.com', 'ada@example.com']);
  });
});
