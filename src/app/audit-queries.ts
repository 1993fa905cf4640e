import type { ActorKind, AuditOutcome, AuditRecord, ChainVerification } from '../core/audit/audit-record-types.js';
import type { FieldValue } from '../core/crm-schema/crm-schema-types.js';
import type { ErrorCode } from '../core/errors/error-codes.js';
import type { AuditQuery, AuditStore } from '../ports/audit-store.js';
import type { Page } from '../ports/page-types.js';

/** One change (or proposed change) of one field, as an operator reads it. */
export interface FieldHistoryEntry {
  readonly auditId: string;
  readonly time: string;
  readonly object: string | null;
  readonly before: FieldValue;
  readonly after: FieldValue;
  readonly confidence: number | null;
  readonly reason: string;
  /** `false`: the CRM record was not read before the write; `before` is leadsync's last written value (see `AuditChange.beforeRead`). */
  readonly beforeRead?: false;
  readonly mappingVersion: string | null;
  readonly actor: { readonly kind: ActorKind; readonly name: string };
  /** `written` for applied changes; `pending_approval`, `approved`, `rejected`, `stale` for the others. */
  readonly outcome: AuditOutcome;
  readonly eventId: string | null;
}

/** Every change of one field of a lead. */
export interface FieldHistory {
  readonly field: string;
  /** Oldest first. */
  readonly entries: readonly FieldHistoryEntry[];
}

/** One audit entry of the lead, whatever it touched (dead-lettered, replayed, discarded, written…). */
export interface LeadTimelineEntry {
  readonly auditId: string;
  readonly time: string;
  readonly outcome: AuditOutcome;
  readonly actor: { readonly kind: ActorKind; readonly name: string };
  readonly eventId: string | null;
  readonly mappingVersion: string | null;
  readonly errorCode: ErrorCode | null;
  /** Fields the entry changes or proposes. */
  readonly fields: readonly string[];
}

/** A lead's history: per field, then every entry in order. */
export interface LeadHistory {
  readonly leadKey: string;
  /** Fields by name. */
  readonly fields: readonly FieldHistory[];
  /** Every audit entry of the lead, oldest first. */
  readonly timeline: readonly LeadTimelineEntry[];
}

/** Answers "why is this field what it is?": each field's changes, oldest first, with who, why and under which mapping. */
export async function leadHistory(audit: AuditStore, leadKey: string): Promise<LeadHistory> {
  return historyOf(leadKey, await audit.history(leadKey));
}

/** The pure part of `leadHistory`, for callers that already hold the records. */
export function historyOf(leadKey: string, records: readonly AuditRecord[]): LeadHistory {
  const byField = new Map<string, FieldHistoryEntry[]>();
  const timeline: LeadTimelineEntry[] = [];
  for (const record of records) {
    const actor = { kind: record.actor.kind, name: record.actor.name };
    for (const change of record.changes) {
      const entries = byField.get(change.field) ?? [];
      entries.push({
        auditId: record.id,
        time: record.time,
        object: record.object,
        before: change.before,
        after: change.after,
        confidence: change.confidence,
        reason: change.reason,
        ...(change.beforeRead === false ? { beforeRead: false as const } : {}),
        mappingVersion: record.mappingVersion,
        actor,
        outcome: record.outcome,
        eventId: record.eventId,
      });
      byField.set(change.field, entries);
    }
    timeline.push({
      auditId: record.id,
      time: record.time,
      outcome: record.outcome,
      actor,
      eventId: record.eventId,
      mappingVersion: record.mappingVersion,
      errorCode: record.errorCode,
      fields: record.changes.map((change) => change.field),
    });
  }
  const fields = [...byField.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([field, entries]) => ({ field, entries }));
  return { leadKey, fields, timeline };
}

/** Audit entries matching every filter, newest first, one page at a time. */
export function searchAudit(audit: AuditStore, query: AuditQuery = {}): Promise<Page<AuditRecord>> {
  return audit.search(query);
}

/** Recomputes the whole hash chain; names the first broken row and why. */
export function verifyAudit(audit: AuditStore): Promise<ChainVerification> {
  return audit.verify();
}
