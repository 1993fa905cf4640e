import type { AuditDraft, AuditOutcome } from '../core/audit/audit-record-types.js';
import type { ErrorCode } from '../core/errors/error-codes.js';
import { planEvent, prepareEvent } from '../core/plan/event-planner.js';
import type { EventPlan, PlanContext } from '../core/plan/event-plan-types.js';
import type { CrmDestination } from '../ports/crm-destination.js';
import {
  DEAD_LETTER_STATUSES,
  type DeadLetterGroup,
  type DeadLetterItem,
} from '../ports/dead-letter-store.js';
import type { Lane } from '../ports/job-queue.js';
import type { PageRequest } from '../ports/page-types.js';
import type { StoragePorts } from '../ports/storage-ports.js';
import { readCurrentRecords } from './current-record-reader.js';

/** What the DLQ use cases need: storage, the CRM (dry-run reads), the current planning contexts, a clock. */
export interface DeadLetterActionDeps {
  readonly storage: Pick<StoragePorts, 'deadLetters' | 'ingest' | 'fieldState' | 'audit'>;
  readonly crm: CrmDestination;
  /** The planning context of a source under the config as it is now (the mapping a replay will run with). */
  readonly contextFor: (source: string) => PlanContext | undefined;
  readonly now: () => Date;
}

/** Statuses a listing can filter on; `all` lists every status. */
export const DEAD_LETTER_LIST_STATUSES = [...DEAD_LETTER_STATUSES, 'all'] as const;
export type DeadLetterListStatus = (typeof DEAD_LETTER_LIST_STATUSES)[number];

/** Filters and paging of a DLQ listing. */
export interface DeadLetterListQuery extends PageRequest {
  /** (Default: `open`) */
  readonly status?: DeadLetterListStatus;
  readonly code?: ErrorCode;
  readonly source?: string;
}

/** One page of DLQ items with the per-code counts. */
export interface DeadLetterListing {
  /** Counts per error code for the listed status (all codes and sources), largest first. */
  readonly groups: readonly DeadLetterGroup[];
  /** Items matching every filter, newest first. */
  readonly items: readonly DeadLetterItem[];
  readonly nextCursor: string | null;
}

/** The event behind a DLQ item, without raw PII: identity, hashes and the payload's top-level keys. */
export interface DeadLetterEventSummary {
  readonly eventId: string;
  readonly source: string;
  readonly leadId: string;
  readonly leadKey: string;
  readonly lane: Lane;
  readonly receivedAt: Date;
  readonly idempotencyKey: string;
  readonly payloadHash: string;
  readonly payload:
    | { readonly state: 'kept'; readonly type: 'object' | 'array' | 'scalar'; readonly topLevelKeys: readonly string[] }
    | { readonly state: 'purged'; readonly purgedAt: Date };
}

/** One audit entry about the item's event, as `dlq show` lists them. */
export interface DeadLetterAuditLine {
  readonly auditId: string;
  readonly time: string;
  readonly outcome: AuditOutcome;
  readonly actor: { readonly kind: string; readonly name: string };
  readonly errorCode: ErrorCode | null;
  readonly attempt: number;
}

/** One item with its event summary and audit lines, or why there is none. */
export type ShowDeadLetterResult =
  | { readonly status: 'found'; readonly item: DeadLetterItem; readonly event: DeadLetterEventSummary | null; readonly history: readonly DeadLetterAuditLine[] }
  | { readonly status: 'not_found'; readonly id: string };

/**
 * What replaying would do under the current mapping: the plan (with `resolves`
 * false when the worker would dead-letter the event again), or why no plan
 * can be made.
 */
export type ReplayPreview =
  | { readonly status: 'planned'; readonly resolves: boolean; readonly plan: EventPlan }
  | { readonly status: 'cannot_plan'; readonly code: ErrorCode; readonly message: string };

/** What a replay did (or, dry run, would do). */
export type ReplayOutcome =
  | { readonly status: 'replayed'; readonly item: DeadLetterItem; readonly jobId: string; readonly auditIds: readonly string[] }
  | { readonly status: 'dry_run'; readonly item: DeadLetterItem; readonly preview: ReplayPreview }
  | { readonly status: 'not_found'; readonly id: string }
  /** Already replayed or discarded; nothing changed. */
  | { readonly status: 'not_open'; readonly item: DeadLetterItem };

/** What a discard did (or, dry run, would do). */
export type DiscardOutcome =
  | { readonly status: 'discarded'; readonly item: DeadLetterItem; readonly auditIds: readonly string[] }
  /** Dry run: the item is open and would be discarded. */
  | { readonly status: 'dry_run'; readonly item: DeadLetterItem }
  | { readonly status: 'not_found'; readonly id: string }
  | { readonly status: 'not_open'; readonly item: DeadLetterItem };

/** Options of a person's action on an item. */
export interface ActionOptions {
  /** Report what would happen and change nothing. (Default: false) */
  readonly dryRun?: boolean;
}

/** Which open items a bulk replay takes. */
export interface ReplayAllRequest {
  readonly code: ErrorCode;
  /** Only items of this source. (Default: every source) */
  readonly source?: string;
}

/** One outcome per item of a bulk replay. */
export interface ReplayAllResult {
  readonly code: ErrorCode;
  readonly source: string | null;
  readonly dryRun: boolean;
  /** One outcome per open item that matched, oldest first. */
  readonly results: readonly ReplayOutcome[];
}

/** Lists DLQ items (open ones unless asked otherwise) with per-code counts. */
export async function listDeadLetters(deps: DeadLetterActionDeps, query: DeadLetterListQuery = {}): Promise<DeadLetterListing> {
  const status = query.status ?? 'open';
  const page = await deps.storage.deadLetters.list({
    ...(status === 'all' ? {} : { status }),
    ...(query.code === undefined ? {} : { code: query.code }),
    ...(query.source === undefined ? {} : { source: query.source }),
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  });
  const groups = status === 'all' ? mergeGroups(await Promise.all(DEAD_LETTER_STATUSES.map((s) => deps.storage.deadLetters.groupByCode({ status: s })))) : await deps.storage.deadLetters.groupByCode({ status });
  return { groups, items: page.items, nextCursor: page.nextCursor };
}

function mergeGroups(perStatus: readonly (readonly DeadLetterGroup[])[]): readonly DeadLetterGroup[] {
  const merged = new Map<ErrorCode, DeadLetterGroup>();
  for (const group of perStatus.flat()) {
    const seen = merged.get(group.errorCode);
    merged.set(
      group.errorCode,
      seen === undefined
        ? group
        : {
            errorCode: group.errorCode,
            count: seen.count + group.count,
            oldestAt: seen.oldestAt < group.oldestAt ? seen.oldestAt : group.oldestAt,
            newestAt: seen.newestAt > group.newestAt ? seen.newestAt : group.newestAt,
          },
    );
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || a.errorCode.localeCompare(b.errorCode));
}

/** One item, the event behind it (no raw payload) and the audit entries of that event. */
export async function showDeadLetter(deps: DeadLetterActionDeps, id: string): Promise<ShowDeadLetterResult> {
  const item = await deps.storage.deadLetters.get(id);
  if (item === undefined) return { status: 'not_found', id };
  const event = await deps.storage.ingest.getEvent(item.eventId);
  const history = (await deps.storage.audit.history(item.leadKey))
    .filter((entry) => entry.eventId === item.eventId)
    .map((entry) => ({ auditId: entry.id, time: entry.time, outcome: entry.outcome, actor: entry.actor, errorCode: entry.errorCode, attempt: entry.attempt }));
  if (event === undefined) return { status: 'found', item, event: null, history };
  const payload: DeadLetterEventSummary['payload'] =
    event.payload.state === 'purged'
      ? { state: 'purged', purgedAt: event.payload.purgedAt }
      : { state: 'kept', ...payloadShape(event.payload.json) };
  return {
    status: 'found',
    item,
    event: {
      eventId: event.eventId,
      source: event.source,
      leadId: event.leadId,
      leadKey: event.leadKey,
      lane: event.lane,
      receivedAt: event.receivedAt,
      idempotencyKey: event.idempotencyKey,
      payloadHash: event.payloadHash,
      payload,
    },
    history,
  };
}

function payloadShape(json: unknown): { type: 'object' | 'array' | 'scalar'; topLevelKeys: readonly string[] } {
  if (Array.isArray(json)) return { type: 'array', topLevelKeys: [] };
  if (json !== null && typeof json === 'object') return { type: 'object', topLevelKeys: Object.keys(json) };
  return { type: 'scalar', topLevelKeys: [] };
}

/**
 * Plans the item's event as a replay would: the worker plans at processing
 * time, so a replay runs with the CURRENT mapping and the CRM records as they
 * are now. Reads only; writes nothing.
 */
export async function previewReplay(deps: DeadLetterActionDeps, item: DeadLetterItem): Promise<ReplayPreview> {
  const event = await deps.storage.ingest.getEvent(item.eventId);
  if (event === undefined) return { status: 'cannot_plan', code: 'WORKER_UNEXPECTED', message: `event ${item.eventId} not found` };
  if (event.payload.state === 'purged') return { status: 'cannot_plan', code: 'WORKER_PAYLOAD_PURGED', message: 'the raw payload was purged by retention' };
  const context = deps.contextFor(event.source);
  if (context === undefined) return { status: 'cannot_plan', code: 'MAPPING_SOURCE_UNKNOWN', message: `source "${event.source}" is no longer configured` };
  const prepared = prepareEvent(event.payload.json, context);
  if (!prepared.ok) return { status: 'planned', resolves: false, plan: planEvent(prepared, new Map(), context) };
  const read = await readCurrentRecords(prepared, deps.crm, deps.storage.fieldState);
  if (!read.ok) return { status: 'cannot_plan', code: read.failure.code, message: `reading the current CRM record failed: ${read.failure.message}` };
  const plan = planEvent(prepared, read.currents, context);
  // The worker dead-letters `partial` and `rejected` plans again.
  return { status: 'planned', resolves: plan.outcome === 'write' || plan.outcome === 'no_change', plan };
}

/**
 * Re-enqueues the item's original event (the store marks the item replayed
 * and appends the `replayed` audit entry, with the person as actor, in one
 * transaction). With `dryRun`, plans the event instead and changes nothing.
 */
export async function replayDeadLetter(deps: DeadLetterActionDeps, id: string, actor: string, options: ActionOptions = {}): Promise<ReplayOutcome> {
  const item = await deps.storage.deadLetters.get(id);
  if (item === undefined) return { status: 'not_found', id };
  if (item.status !== 'open') return { status: 'not_open', item };
  if (options.dryRun === true) return { status: 'dry_run', item, preview: await previewReplay(deps, item) };

  const now = deps.now();
  const context = deps.contextFor(item.source);
  const result = await deps.storage.deadLetters.markReplayed(id, {
    actor,
    now,
    audit: [
      await resolutionDraft(deps, item, actor, now, 'replayed', context === undefined ? null : `${context.mapping.name}@${context.mapping.version}`),
    ],
  });
  switch (result.status) {
    case 'not_found':
      return { status: 'not_found', id };
    case 'not_open':
      return { status: 'not_open', item: result.item };
    case 'replayed':
      return { status: 'replayed', item: (await deps.storage.deadLetters.get(id)) ?? item, jobId: result.jobId, auditIds: result.auditIds };
  }
}

/** Marks the item discarded and audits `discarded` with the person as actor. With `dryRun`, changes nothing. */
export async function discardDeadLetter(deps: DeadLetterActionDeps, id: string, actor: string, options: ActionOptions = {}): Promise<DiscardOutcome> {
  const item = await deps.storage.deadLetters.get(id);
  if (item === undefined) return { status: 'not_found', id };
  if (item.status !== 'open') return { status: 'not_open', item };
  if (options.dryRun === true) return { status: 'dry_run', item };

  const now = deps.now();
  const result = await deps.storage.deadLetters.markDiscarded(id, { actor, now, audit: [await resolutionDraft(deps, item, actor, now, 'discarded', null)] });
  switch (result.status) {
    case 'not_found':
      return { status: 'not_found', id };
    case 'not_open':
      return { status: 'not_open', item: result.item };
    case 'discarded':
      return { status: 'discarded', item: (await deps.storage.deadLetters.get(id)) ?? item, auditIds: result.auditIds };
  }
}

/**
 * Replays every open item with one error code (optionally of one source),
 * oldest first so a lead's events go back on the queue in their original
 * order. Items are collected before the first replay, so items dead-lettered
 * again by the replays are not picked up twice.
 */
export async function replayAllDeadLetters(deps: DeadLetterActionDeps, request: ReplayAllRequest, actor: string, options: ActionOptions = {}): Promise<ReplayAllResult> {
  const items: DeadLetterItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.storage.deadLetters.list({
      status: 'open',
      code: request.code,
      ...(request.source === undefined ? {} : { source: request.source }),
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  items.reverse();

  const results: ReplayOutcome[] = [];
  for (const item of items) {
    results.push(await replayDeadLetter(deps, item.id, actor, options));
    // On SQLite each step is synchronous work behind a promise already settled, so awaiting it lets no I/O in: one
    // request replaying thousands of items would hold the HTTP event loop for all of them (decision 0033).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { code: request.code, source: request.source ?? null, dryRun: options.dryRun === true, results };
}

async function resolutionDraft(
  deps: DeadLetterActionDeps,
  item: DeadLetterItem,
  actor: string,
  now: Date,
  outcome: 'replayed' | 'discarded',
  mappingVersion: string | null,
): Promise<AuditDraft> {
  // The event ties the entry to the payload it is about; it may be missing for items whose event vanished.
  const event = await deps.storage.ingest.getEvent(item.eventId);
  return {
    time: now.toISOString(),
    leadKey: item.leadKey,
    source: item.source,
    eventId: item.eventId,
    idempotencyKey: event?.idempotencyKey ?? null,
    payloadHash: event?.payloadHash ?? null,
    mappingVersion,
    actor: { kind: 'person', name: actor },
    outcome,
    errorCode: item.errorCode,
    errorTrace: `${outcome} DLQ item ${item.id} (${item.errorCode}: ${item.message})`,
  };
}
