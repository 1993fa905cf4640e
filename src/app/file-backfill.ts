import type { ErrorCode } from '../core/errors/error-codes.js';
import type { IngestStore, NewEvent } from '../ports/ingest-store.js';
import { admitPayload, parsePayloadJson, type IngestSource } from './event-ingestion.js';

/** One record of a backfill file, numbered by the line it is on (1-based). */
export type BackfillRecord =
  /** An NDJSON line, parsed here by the same JSON step as an HTTP body. */
  | { readonly kind: 'json'; readonly line: number; readonly text: string }
  /** A row already read into a payload (CSV). */
  | { readonly kind: 'payload'; readonly line: number; readonly payload: unknown }
  /** A row the file reader could not read (a CSV quoting or column-count error). */
  | { readonly kind: 'unreadable'; readonly line: number; readonly code: ErrorCode; readonly message: string };

/** A line that was not queued: rejected before the gate, or a conflict at the gate. */
export interface BackfillProblem {
  readonly line: number;
  readonly kind: 'rejected' | 'conflict';
  readonly code: ErrorCode;
  readonly message: string;
}

/** Running totals of a backfill; every record is counted in exactly one of queued, duplicates, conflicts, rejected. */
export interface BackfillSummary {
  readonly lines: number;
  readonly queued: number;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly rejected: number;
  readonly rejectedByCode: Readonly<Partial<Record<ErrorCode, number>>>;
}

export interface BackfillOptions {
  /** Receive time stamped on each event. */
  readonly now: () => Date;
  /**
   * Events accepted per transaction. Small enough that a chunk dies young in
   * V8's heap, large enough that commits are a small share of the time. (Default: 250)
   */
  readonly chunkSize?: number;
  /** Called for each line that is rejected or conflicts, in line order, once its chunk is committed. Must not throw. */
  readonly onProblem: (problem: BackfillProblem) => void;
  /** Called after every committed chunk with the totals so far. Must not throw. (Default: none) */
  readonly onProgress?: (summary: BackfillSummary) => void;
  /**
   * The ingest store records nothing (`leadsync ingest --dry-run`, dry-run-ingest-store.ts): a conflict names the
   * line of the earlier record instead of event ids that do not exist, and says it would be recorded. The lines of
   * queued records are kept for that, one entry per record, as that store keeps their keys. (Default: false)
   */
  readonly dryRun?: boolean;
}

interface PendingEvent {
  readonly line: number;
  readonly event: NewEvent;
}

/**
 * Backfills a trusted local file (no signatures): each record becomes an
 * event by exactly the step HTTP ingest uses after its signature check, and
 * events are accepted in chunks, one transaction per chunk, so the idempotency
 * gate and the queue see them as if delivered one by one (a repeat later in the
 * file is a duplicate). Records are pulled as they are consumed and at most one
 * chunk is held, so memory stays flat at any file size. A bad record is reported
 * and counted, never fatal. The events are only enqueued; a worker processes them.
 */
export async function backfillEvents(
  source: IngestSource,
  records: AsyncIterable<BackfillRecord>,
  store: Pick<IngestStore, 'acceptMany'>,
  options: BackfillOptions,
): Promise<BackfillSummary> {
  const chunkSize = options.chunkSize ?? 250;
  const totals = { lines: 0, queued: 0, duplicates: 0, conflicts: 0, rejected: 0 };
  const queuedAtLine = options.dryRun === true ? new Map<string, number>() : undefined;
  const rejectedByCode: Partial<Record<ErrorCode, number>> = {};
  const snapshot = (): BackfillSummary => ({ ...totals, rejectedByCode: { ...rejectedByCode } });
  // Problems of a chunk are reported together once its conflicts are known,
  // so they come out in line order; a chunk counts them, so they stay bounded.
  let problems: BackfillProblem[] = [];
  const reject = (line: number, code: ErrorCode, message: string): void => {
    totals.rejected += 1;
    rejectedByCode[code] = (rejectedByCode[code] ?? 0) + 1;
    problems.push({ line, kind: 'rejected', code, message });
  };

  let chunk: PendingEvent[] = [];
  const flush = async (): Promise<void> => {
    if (chunk.length === 0 && problems.length === 0) return;
    const pending = chunk;
    chunk = [];
    const results = pending.length === 0 ? [] : await store.acceptMany(pending.map((item) => item.event));
    for (const [index, result] of results.entries()) {
      const line = pending[index]?.line ?? 0;
      switch (result.status) {
        case 'queued':
          totals.queued += 1;
          queuedAtLine?.set(result.eventId, line);
          break;
        case 'duplicate':
          totals.duplicates += 1;
          break;
        case 'conflict':
          totals.conflicts += 1;
          problems.push({
            line,
            kind: 'conflict',
            code: 'INGEST_IDEMPOTENCY_CONFLICT',
            message: queuedAtLine
              ? `same idempotency key as line ${queuedAtLine.get(result.eventId) ?? '?'} but a different payload; would be recorded as a conflict, not processed`
              : `same idempotency key as event ${result.eventId} but a different payload; recorded as conflict ${result.conflictId}, not processed`,
          });
          break;
      }
    }
    const reported = problems.sort((a, b) => a.line - b.line);
    problems = [];
    for (const problem of reported) options.onProblem(problem);
    options.onProgress?.(snapshot());
  };

  for await (const record of records) {
    if (chunk.length + problems.length >= chunkSize) await flush();
    totals.lines += 1;
    if (record.kind === 'unreadable') {
      reject(record.line, record.code, record.message);
      continue;
    }
    let payload: unknown;
    if (record.kind === 'json') {
      const parsed = parsePayloadJson(record.text);
      if (!parsed.ok) {
        reject(record.line, parsed.rejection.code, parsed.rejection.message);
        continue;
      }
      payload = parsed.payload;
    } else {
      payload = record.payload;
    }
    const admission = admitPayload(source, payload, options.now());
    if (!admission.ok) {
      reject(record.line, admission.rejection.code, admission.rejection.message);
      continue;
    }
    chunk.push({ line: record.line, event: admission.event });
  }
  await flush();
  return snapshot();
}
