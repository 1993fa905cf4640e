-- leadsync storage on PostgreSQL, version 2: the job queue (src/adapters/postgres/pg-job-queue.ts).
-- Why this is plain SQL over one table and not pg-boss or graphile-worker:
-- docs/decisions/0005-postgres-job-queue-engine.md.
--
-- One row per unfinished job. `head` marks the first unfinished job of each
-- lead (enqueue order = id order, assigned under the lead's advisory lock):
-- only head jobs are handed out, so a lead's jobs run one after another
-- across lanes and processes. Finishing a head job deletes it and makes the
-- lead's next job the head, in the settle transaction.
--
-- `visible_at` is when the job may be handed out: its due time (`run_at`)
-- while queued or waiting for a retry, the claim's expiry while claimed.
-- A claim that expires (the worker died) makes the job visible again; the
-- next claim counts the attempt.
CREATE TABLE job_queue (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    bigint      NOT NULL REFERENCES events (id),
  lead_key    text        NOT NULL,
  lane        text        NOT NULL CHECK (lane IN ('realtime', 'batch')),
  head        boolean     NOT NULL,
  attempt     integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  enqueued_at timestamptz NOT NULL,
  run_at      timestamptz NOT NULL,
  visible_at  timestamptz NOT NULL,
  claimed_by  text,
  last_error  text
);
-- Claim: head jobs of a lane by due time (enqueue or retry time); the few held by a live claim
-- (visible_at in the future) are skipped in the scan. A reclaimed job keeps its place.
CREATE INDEX job_queue_due_heads ON job_queue (lane, run_at, id) WHERE head;
-- A lead's jobs in enqueue order: head promotion, consecutive runs, the enqueue check.
CREATE INDEX job_queue_by_lead ON job_queue (lead_key, id);
-- Depth and the oldest unfinished job per lane.
CREATE INDEX job_queue_by_lane ON job_queue (lane, id);
-- One head per lead at most: a bug in the ordering code fails loudly instead of running a lead's jobs side by side.
CREATE UNIQUE INDEX job_queue_one_head_per_lead ON job_queue (lead_key) WHERE head;
-- Claims and deletes churn this table; vacuum it early so dead rows do not pile up in the claim index.
ALTER TABLE job_queue SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, fillfactor = 80);
