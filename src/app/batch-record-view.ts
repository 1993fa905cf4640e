import type { FieldValue } from '../core/crm-schema/crm-schema-types.js';
import type { CurrentRecord } from '../core/merge/plan-types.js';
import type { ObjectPlan } from '../core/plan/event-plan-types.js';
import type { RecordKey } from '../ports/crm-destination.js';
import type { FieldStateEntry, FieldStateUpdate } from '../ports/field-state-store.js';
import { currentRecord, unreadRecord } from './current-record-reader.js';

type PlannedObject = Extract<ObjectPlan, { status: 'planned' }>;

/**
 * Sets an own property, even one named "__proto__" (assignment would change
 * the prototype instead). Plain assignment otherwise: defineProperty is several
 * times slower, and every plan of a batch sets dozens of properties here.
 */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * One CRM record during a batch: what was read before the batch, plus the
 * plans of the batch's jobs applied in job order. Jobs that share a record
 * (contacts of one company) plan one after another against this view and
 * their changes go out as one write, so the view must show each plan exactly
 * what a fresh read after the previous job's write and settle would show:
 * the CRM's properties with the write applied, and our field state with the
 * settled entries applied, combined by the same `currentRecord` as a read.
 */
export class BatchRecordView {
  readonly leadKey: string;
  readonly object: string;
  readonly key: RecordKey;
  /** The record's id in the CRM; null until it exists (read as absent, or created by this batch). */
  private recordId: string | null;
  private existedBefore: boolean;
  /** Not read from the CRM: plans see leadsync's field state (`unreadRecord`), and whether the record exists is unknown. */
  private isUnread = false;
  private properties: Record<string, FieldValue>;
  private states: Record<string, FieldStateEntry>;
  /** What the view shows the next plan; null while the record does not exist and no job created it. */
  private view: CurrentRecord | null;
  /** An applied plan changed the record since `view` was worked out: worked out again when a later plan asks (most records have no later plan). */
  private viewStale = false;
  /** Field values to send, merged in job order (a later job's value for a field wins). */
  readonly write: Record<string, FieldValue> = {};
  /** The job whose plan creates the record. */
  creator: string | null = null;
  /** Jobs whose settle depends on this record's write: they wrote to it, or planned against a view holding unwritten changes. */
  readonly dependents: string[] = [];

  constructor(leadKey: string, object: string, key: RecordKey, read: { recordId: string; properties: Readonly<Record<string, FieldValue>>; states: Readonly<Record<string, FieldStateEntry>> } | null) {
    this.leadKey = leadKey;
    this.object = object;
    this.key = key;
    this.recordId = read?.recordId ?? null;
    this.existedBefore = read !== null;
    this.properties = { ...(read?.properties ?? {}) };
    this.states = { ...(read?.states ?? {}) };
    this.view = read === null ? null : currentRecord(read.recordId, read.properties, read.states);
  }

  /**
   * A record the batch does not read from the CRM (no job's plan needs its
   * values): plans see leadsync's field state, and the write is an upsert
   * that creates the record if it is missing. The first job that writes
   * counts as its creator, should the upsert create it.
   */
  static unread(leadKey: string, object: string, key: RecordKey, states: Readonly<Record<string, FieldStateEntry>>): BatchRecordView {
    const view = new BatchRecordView(leadKey, object, key, null);
    view.isUnread = true;
    // Unknown, not absent: an unread record with nothing to write is not created.
    view.existedBefore = true;
    view.states = { ...states };
    view.view = unreadRecord(view.states);
    return view;
  }

  /** The record as the next plan must see it. */
  current(): CurrentRecord | null {
    if (this.viewStale) {
      this.viewStale = false;
      if (this.isUnread) this.view = unreadRecord(this.states);
      else {
        const fields = currentRecord(this.recordId ?? '', this.properties, this.states).fields;
        // A record this batch creates has no id yet; plans against it carry recordId null and get the id from the write result.
        this.view = this.recordId === null ? { fields } : { id: this.recordId, fields };
      }
    }
    return this.view;
  }

  /** Whether the batch must send a write for this record. */
  needsWrite(): boolean {
    return Object.keys(this.write).length > 0 || (!this.existedBefore && this.creator !== null);
  }

  /**
   * Applies one job's plan for this record: its write as the CRM stores it,
   * and the field state its settle will store (`fieldState`: the entries the
   * job's settlement holds for this record).
   */
  apply(jobId: string, plan: PlannedObject, fieldState: readonly FieldStateUpdate[]): void {
    const writes = Object.keys(plan.write).length > 0;
    const creates = this.view === null && !this.viewStale;
    if (writes || creates || this.dependents.length > 0) this.dependents.push(jobId);
    if (!writes && !creates) return;
    if (this.isUnread && this.creator === null) this.creator = jobId;
    if (creates) {
      this.creator = jobId;
      // A CRM stores the match field on create, as the sandbox and HubSpot do.
      this.properties = { [plan.match.field]: plan.match.value };
    }
    for (const [field, value] of Object.entries(plan.write)) {
      setOwn(this.write, field, value);
      if (value === null) delete this.properties[field];
      else setOwn(this.properties, field, value);
    }
    for (const entry of fieldState) {
      setOwn(this.states, entry.field, { value: entry.value, appliedAt: entry.appliedAt, confidence: entry.confidence, source: entry.source });
    }
    this.viewStale = true;
  }

  /** Records the id the CRM gave the record. */
  written(recordId: string): void {
    this.recordId = recordId;
  }
}
