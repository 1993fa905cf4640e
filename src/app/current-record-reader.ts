import type { CurrentFieldState, CurrentRecord } from '../core/merge/plan-types.js';
import { currentRecordNeed } from '../core/plan/current-record-need.js';
import type { PlanContext, PreparedEvent } from '../core/plan/event-plan-types.js';
import type { CrmDestination, CrmRecordFailure } from '../ports/crm-destination.js';
import type { FieldStateEntry, FieldStateStore } from '../ports/field-state-store.js';

/** The current records an event's plan merges with, keyed by lead key (null: the CRM has no such record). */
export type CurrentRecordsResult =
  | { readonly ok: true; readonly currents: ReadonlyMap<string, CurrentRecord | null> }
  | { readonly ok: false; readonly failure: CrmRecordFailure };

/**
 * Reads the records a prepared event names: the CRM's values, plus what we
 * know of how each field got there (field state). Shared by the worker and by
 * previews (DLQ replay dry-run) so both plan against the same view.
 *
 * With `context` (the worker), a record whose plan does not need the CRM's
 * values (`currentRecordNeed`, under `readBeforeWrite: when_needed`) is not
 * read from the CRM: it is planned against leadsync's own field state
 * ({@link unreadRecord}). Without it (previews) every record is read.
 */
export async function readCurrentRecords(
  prepared: Extract<PreparedEvent, { ok: true }>,
  crm: CrmDestination,
  fieldState: FieldStateStore,
  context?: PlanContext,
): Promise<CurrentRecordsResult> {
  const currents = new Map<string, CurrentRecord | null>();
  for (const object of prepared.objects) {
    if (object.status !== 'ready') continue;
    if (context !== undefined && !currentRecordNeed(object, context).read) {
      currents.set(object.leadKey, unreadRecord(await fieldState.read(object.leadKey, object.object)));
      continue;
    }
    const [read] = await crm.read(object.object, [{ idField: object.match.field, id: object.match.value }]);
    if (!read) throw new Error(`CRM read returned no result for ${object.leadKey}`);
    if (!read.ok) return { ok: false, failure: read };
    if (!read.found) {
      currents.set(object.leadKey, null);
      continue;
    }
    const states = await fieldState.read(object.leadKey, object.object);
    currents.set(object.leadKey, currentRecord(read.recordId, read.properties, states));
  }
  return { ok: true, currents };
}

/** One CRM record as the merge planner sees it: field values, with our provenance where the CRM still holds what we wrote. */
export function currentRecord(recordId: string, properties: Readonly<Record<string, unknown>>, states: Readonly<Record<string, FieldStateEntry>>): CurrentRecord {
  const fields: Record<string, CurrentFieldState> = {};
  for (const field of Object.keys(properties)) {
    const value = properties[field];
    const state = Object.hasOwn(states, field) ? states[field] : undefined;
    // Our provenance counts only while the CRM still holds the value we wrote; a person's later edit has none.
    const ours = state !== undefined && sameJson(state.value, value);
    const entry: CurrentFieldState = ours ? { value: state.value, appliedAt: state.appliedAt, confidence: state.confidence, source: state.source } : { value: value as CurrentFieldState['value'] };
    // Field names are data: "__proto__" must become an own property, not the prototype.
    if (field === '__proto__') Object.defineProperty(fields, field, { value: entry, enumerable: true, writable: true, configurable: true });
    else fields[field] = entry;
  }
  return { id: recordId, fields };
}

/** Whether two values have the same JSON text. A string or boolean has it exactly when the other value is the same string or boolean. */
function sameJson(ours: unknown, theirs: unknown): boolean {
  if (typeof ours === 'string' || typeof ours === 'boolean') return ours === theirs;
  return JSON.stringify(ours) === JSON.stringify(theirs);
}

/**
 * A record planned without reading the CRM: leadsync's own field state (what
 * it last wrote, and when) stands in for the CRM's values, so a value older
 * than one leadsync already applied is still skipped as stale. Marked
 * `unread`, so the planner does not suppress a write as `no_change` and the
 * audit says its before values were not read.
 */
export function unreadRecord(states: Readonly<Record<string, FieldStateEntry>>): CurrentRecord {
  const fields: Record<string, CurrentFieldState> = {};
  for (const [field, state] of Object.entries(states)) {
    const entry = { value: state.value, appliedAt: state.appliedAt, confidence: state.confidence, source: state.source };
    // Field names are data: "__proto__" must become an own property, not the prototype.
    if (field === '__proto__') Object.defineProperty(fields, field, { value: entry, enumerable: true, writable: true, configurable: true });
    else fields[field] = entry;
  }
  return { fields, unread: true };
}
