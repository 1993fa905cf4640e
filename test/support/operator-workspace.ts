import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { onTestFinished } from 'vitest';
import { admitPayload } from '../../src/app/event-ingestion.js';
import { processJob, type JobOutcome, type JobProcessorDeps } from '../../src/app/job-processor.js';
import { loadConfig, type LoadedConfig } from '../../src/config/config-loader.js';
import { webformPreset } from '../../src/config/presets/webform-preset.js';
import { openRuntime, type Runtime } from '../../src/server/runtime.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/**
 * A temp directory with one SQLite file and two configs over it, both from
 * examples/leadsync.yaml: `original` (webform preset, v1) and `fixed`
 * (a `webform-v2` mapping whose lead_source values map "Partner Referal" to
 * `partner`), so a DLQ item of test/fixtures/webform/bad-lead-source.json can
 * be fixed and replayed.
 */
export interface OperatorWorkspace {
  readonly dir: string;
  readonly dbFile: string;
  readonly originalConfig: string;
  readonly fixedConfig: string;
  load(which: 'original' | 'fixed'): Promise<LoadedConfig>;
  /** Opens a runtime on one of the configs; closed by `remove`. */
  open(which: 'original' | 'fixed'): Promise<Runtime>;
  /** Closes open runtimes; deletes the directory unless `keep`. */
  remove(keep?: boolean): Promise<void>;
}

/**
 * The fix for the demo's `CRM_PICKLIST_MISMATCH` dead letter: the webform preset at version 2
 * with one more `lead_source` synonym (what examples/webform-v2-mapping.yaml holds).
 */
export function webformV2Mapping(): typeof webformPreset {
  const contacts = webformPreset.objects['contacts'];
  return {
    ...webformPreset,
    version: 2,
    description: 'webform preset plus a lead_source synonym for partner referrals',
    objects: {
      ...webformPreset.objects,
      ...(contacts === undefined
        ? {}
        : { contacts: { ...contacts, fields: contacts.fields.map((field) => (field.to === 'lead_source' ? { ...field, values: { ...field.values, 'partner referal': 'partner' } } : field)) } }),
    },
  };
}

export function createOperatorWorkspace(): OperatorWorkspace {
  const dir = makeTempDir('leadsync-operator-');
  const dbFile = join(dir, 'leadsync.db');
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  const document = parse(readFileSync('examples/leadsync.yaml', 'utf8')) as Record<string, Record<string, unknown>>;
  // `normal` keeps the tests fast; durability is not what they check.
  document['storage'] = { file: dbFile, synchronous: 'normal' };
  const originalConfig = join(dir, 'leadsync.yaml');
  writeFileSync(originalConfig, stringify(document));

  const fixedMapping = webformV2Mapping();
  const sources = document['sources'] as Record<string, Record<string, unknown>>;
  const fixed = { ...document, mappings: { 'webform-v2': fixedMapping }, sources: { ...sources, webform: { ...sources['webform'], mapping: 'webform-v2' } } };
  const fixedConfig = join(dir, 'leadsync-fixed.yaml');
  writeFileSync(fixedConfig, stringify(fixed));

  const runtimes: Runtime[] = [];
  const load = (which: 'original' | 'fixed'): Promise<LoadedConfig> => loadConfig(which === 'original' ? originalConfig : fixedConfig, { env: {} });
  return {
    dir,
    dbFile,
    originalConfig,
    fixedConfig,
    load,
    async open(which) {
      const runtime = await openRuntime(await load(which));
      runtimes.push(runtime);
      return runtime;
    },
    async remove(keep = false) {
      for (const runtime of runtimes.splice(0)) await runtime.close();
      if (keep) console.error(`kept the operator workspace of a failed test: ${dir}`);
      else removeTempDir(dir);
    },
  };
}

/** A workspace for the current test: removed when it finishes, kept (and named on stderr) when it failed. */
export function operatorWorkspaceForThisTest(): OperatorWorkspace {
  const workspace = createOperatorWorkspace();
  onTestFinished(async (context) => {
    await workspace.remove(context.task.result?.state === 'fail');
  });
  return workspace;
}

/** Reads a fixture under test/fixtures, optionally with some top-level fields changed. */
export function fixturePayload(fixture: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(JSON.parse(readFileSync(join('test/fixtures', fixture), 'utf8')) as Record<string, unknown>), ...changes };
}

/** Accepts a payload as a verified delivery would be accepted; returns the event id. */
export async function acceptPayload(runtime: Runtime, source: string, payload: unknown, receivedAt = new Date()): Promise<string> {
  const ingestSource = runtime.sources.get(source);
  if (!ingestSource) throw new Error(`no source ${source}`);
  const admission = admitPayload(ingestSource, payload, receivedAt);
  if (!admission.ok) throw new Error(`payload not admitted: ${admission.rejection.message}`);
  const result = await runtime.storage.ingest.accept(admission.event);
  if (result.status !== 'queued') throw new Error(`payload was ${result.status}`);
  return result.eventId;
}

/** Accepts a fixture under test/fixtures; returns the event id. */
export function acceptFixture(runtime: Runtime, source: string, fixture: string, receivedAt = new Date()): Promise<string> {
  return acceptPayload(runtime, source, fixturePayload(fixture), receivedAt);
}

/**
 * Runs the worker step by step until both lanes are empty; returns every
 * outcome. Jobs are claimed on the system clock; `overrides` apply to
 * processing (e.g. `now` to date the outcomes).
 */
export async function drainQueue(runtime: Runtime, overrides: Partial<JobProcessorDeps> = {}): Promise<JobOutcome[]> {
  const deps = { ...runtime.processorDeps, ...overrides };
  const outcomes: JobOutcome[] = [];
  for (let round = 0; round < 100; round++) {
    let claimed = 0;
    for (const lane of ['realtime', 'batch'] as const) {
      const jobs = await deps.storage.jobs.claim({ lane, limit: 10, workerId: 'test-worker', now: new Date(), visibilityMs: 30_000 });
      claimed += jobs.length;
      for (const job of jobs) outcomes.push(await processJob(job, 'test-worker', deps));
    }
    if (claimed === 0) return outcomes;
  }
  throw new Error('the queue did not drain in 100 rounds');
}

/** Every row of every table, through an independent connection: compare two snapshots to prove nothing changed. */
export function snapshotDatabase(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
    // Sorted in JS: some tables are WITHOUT ROWID, and only the set of rows matters here.
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all().map((row) => JSON.stringify(row)).sort()]));
  } finally {
    db.close();
  }
}

/**
 * Flips one bit of one character of an audit row's changes, with the
 * append-only trigger dropped for the change and put back after (as the
 * storage contract's backdoor does), through an independent connection.
 */
export function tamperAuditRow(file: string, id: string): void {
  const db = new Database(file);
  try {
    const triggerSql = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'audit_log_refuse_update'").get()?.sql;
    if (triggerSql === undefined) throw new Error('append-only trigger not found');
    db.transaction(() => {
      db.exec('DROP TRIGGER audit_log_refuse_update');
      const row = db.prepare<[number], { changes_json: string }>('SELECT changes_json FROM audit_log WHERE id = ?').get(Number(id));
      if (row === undefined) throw new Error(`no audit row ${id}`);
      // One bit of the last character before the closing brackets: still valid JSON, different content.
      const json = row.changes_json;
      const at = json.lastIndexOf('"') - 1;
      const flipped = `${json.slice(0, at)}${String.fromCharCode(json.charCodeAt(at) ^ 1)}${json.slice(at + 1)}`;
      db.prepare('UPDATE audit_log SET changes_json = ? WHERE id = ?').run(flipped, Number(id));
      db.exec(triggerSql);
    })();
  } finally {
    db.close();
  }
}
