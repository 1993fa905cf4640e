import type { CurrentFieldState, CurrentRecord } from '../core/merge/plan-types.js';
import type { PreparedEvent } from '../core/plan/event-plan-types.js';
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
 */
export async function readCurrentRecords(
  prepared: Extract<PreparedEvent, { ok: true }>,
  crm: CrmDestination,
  fieldState: FieldStateStore,
): Promise<CurrentRecordsResult> {
  const currents = new Map<string, CurrentRecord | null>();
  for (const object of prepared.objects) {
    if (object.status !== 'ready') continue;
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
  for (const [field, value] of Object.entries(properties)) {
    const state = states[field];
    // Our provenance counts only while the CRM still holds the value we wrote; a person's later edit has none.
    const ours = state !== undefined && JSON.stringify(state.value) === JSON.stringify(value);
    fields[field] = ours ? { value: state.value, appliedAt: state.appliedAt, confidence: state.confidence, source: state.source } : { value: value as CurrentFieldState['value'] };
  }
  return { id: recordId, fields };
}
