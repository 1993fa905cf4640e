import type { AcceptResult, IngestStore } from '../ports/ingest-store.js';

/**
 * An ingest gate that stores nothing, for `leadsync ingest --dry-run`: the
 * idempotency rules applied to the events of this run only. An event whose
 * key was seen earlier in the run with the same payload hash is a duplicate,
 * with another hash a conflict; everything else would be queued. Events
 * already in the database are not consulted (the dry run opens none), so a
 * re-import reports them as queued where the real run says duplicate.
 * Ids are line-local placeholders (`dry-run-1`, …).
 */
export function dryRunIngestStore(): Pick<IngestStore, 'acceptMany'> {
  const seen = new Map<string, { readonly eventId: string; readonly payloadHash: string }>();
  let next = 0;
  return {
    acceptMany(events) {
      const results: AcceptResult[] = events.map((event) => {
        const earlier = seen.get(event.idempotencyKey);
        if (earlier === undefined) {
          next += 1;
          const eventId = `dry-run-${next}`;
          seen.set(event.idempotencyKey, { eventId, payloadHash: event.payloadHash });
          return { status: 'queued', eventId, jobId: eventId };
        }
        if (earlier.payloadHash === event.payloadHash) return { status: 'duplicate', eventId: earlier.eventId, reason: 'same_payload' };
        return { status: 'conflict', eventId: earlier.eventId, conflictId: `dry-run-conflict-${earlier.eventId}` };
      });
      return Promise.resolve(results);
    },
  };
}
