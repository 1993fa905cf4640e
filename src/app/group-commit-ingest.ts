import type { AcceptResult, IngestStore, NewEvent } from '../ports/ingest-store.js';

export interface GroupCommitOptions {
  /** Most events in one commit. (Default: 500) */
  readonly maxBatch?: number;
}

/**
 * Group commit for ingest: deliveries that arrive while a commit is running
 * are accepted together in the next one (`acceptMany`, one transaction), and
 * each caller is answered only after the commit that holds its event. One
 * durable commit (one fsync) then serves many requests, so ingest throughput
 * is no longer one request per fsync, and "202 only after a durable commit"
 * still holds for every request.
 */
export function groupCommitIngest(store: Pick<IngestStore, 'acceptMany'>, options: GroupCommitOptions = {}): Pick<IngestStore, 'accept'> {
  const maxBatch = options.maxBatch ?? 500;
  let waiting: { event: NewEvent; resolve: (result: AcceptResult) => void; reject: (error: unknown) => void }[] = [];
  let flushing = false;

  const flush = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      try {
        const results = await store.acceptMany(batch.map((entry) => entry.event));
        batch.forEach((entry, index) => {
          const result = results[index];
          if (result) entry.resolve(result);
          else entry.reject(new Error(`acceptMany returned ${results.length} results for ${batch.length} events`));
        });
      } catch (error) {
        // Nothing of the batch was committed: every caller gets the error (the HTTP layer answers 5xx, the sender retries).
        for (const entry of batch) entry.reject(error);
      }
    }
    flushing = false;
  };

  return {
    accept(event) {
      return new Promise<AcceptResult>((resolve, reject) => {
        waiting.push({ event, resolve, reject });
        if (!flushing) {
          flushing = true;
          // Let the requests already read from the sockets join this commit.
          setImmediate(() => void flush());
        }
      });
    },
  };
}
