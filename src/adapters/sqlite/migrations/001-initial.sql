-- leadsync storage, version 1. Times we set ourselves are epoch milliseconds
-- (INTEGER); source timestamps and audit times are ISO 8601 text.

-- Raw events and the idempotency gate ---------------------------------------
CREATE TABLE events (
  id                INTEGER PRIMARY KEY,
  source            TEXT    NOT NULL,
  lead_id           TEXT    NOT NULL,
  lead_key          TEXT    NOT NULL,
  idempotency_key   TEXT    NOT NULL UNIQUE,
  payload_hash      TEXT    NOT NULL,
  -- NULL once retention has purged it; JSON null is the text 'null'.
  payload_json      TEXT,
  payload_purged_at INTEGER,
  received_at       INTEGER NOT NULL,
  lane              TEXT    NOT NULL CHECK (lane IN ('realtime', 'batch')),
  webhook_id        TEXT,
  CHECK ((payload_json IS NULL) = (payload_purged_at IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX events_by_webhook_id ON events (source, webhook_id) WHERE webhook_id IS NOT NULL;
-- Retention scans only payloads still kept.
CREATE INDEX events_payload_kept_by_time ON events (received_at) WHERE payload_json IS NOT NULL;

-- Deliveries that reused an idempotency key with another payload: visible, never processed.
CREATE TABLE conflicts (
  id                INTEGER PRIMARY KEY,
  event_id          INTEGER NOT NULL REFERENCES events (id),
  payload_hash      TEXT    NOT NULL,
  payload_json      TEXT,
  payload_purged_at INTEGER,
  webhook_id        TEXT,
  first_received_at INTEGER NOT NULL,
  last_received_at  INTEGER NOT NULL,
  deliveries        INTEGER NOT NULL DEFAULT 1,
  UNIQUE (event_id, payload_hash),
  CHECK ((payload_json IS NULL) = (payload_purged_at IS NOT NULL))
) STRICT;

-- Job queue -------------------------------------------------------------------
-- Only unfinished jobs live here; a settled job is deleted (the audit keeps the story).
-- AUTOINCREMENT so a job id is never reused after the highest job is deleted:
-- DLQ items and logs refer to job ids.
CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id    INTEGER NOT NULL REFERENCES events (id),
  lead_key    TEXT    NOT NULL,
  lane        TEXT    NOT NULL CHECK (lane IN ('realtime', 'batch')),
  attempt     INTEGER NOT NULL DEFAULT 0,
  enqueued_at INTEGER NOT NULL,
  -- When the job is due (enqueue or retry time).
  run_at      INTEGER NOT NULL,
  -- When it may next be handed out: run_at while queued, the claim expiry while claimed.
  visible_at  INTEGER NOT NULL,
  claimed_by  TEXT,
  last_error  TEXT,
  -- 1 for the lead's earliest unfinished job: the only one of the lead that may be claimed.
  head        INTEGER NOT NULL CHECK (head IN (0, 1))
) STRICT;
CREATE INDEX jobs_by_lead ON jobs (lead_key, id);
CREATE INDEX jobs_claimable ON jobs (lane, visible_at, id) WHERE head = 1;
CREATE INDEX jobs_by_lane ON jobs (lane, id);

-- Keeps per-lead order however a job leaves the table.
CREATE TRIGGER jobs_promote_next_head AFTER DELETE ON jobs WHEN old.head = 1
BEGIN
  UPDATE jobs SET head = 1
  WHERE id = (SELECT min(id) FROM jobs WHERE lead_key = old.lead_key);
END;

-- Dead letters ---------------------------------------------------------------
CREATE TABLE dead_letters (
  id            INTEGER PRIMARY KEY,
  event_id      INTEGER NOT NULL REFERENCES events (id),
  -- The job is deleted when it is dead-lettered, so no foreign key.
  job_id        INTEGER NOT NULL,
  source        TEXT    NOT NULL,
  lead_key      TEXT    NOT NULL,
  error_code    TEXT    NOT NULL,
  message       TEXT    NOT NULL,
  trace         TEXT    NOT NULL,
  attempts      INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
  resolved_by   TEXT,
  resolved_at   INTEGER,
  replay_job_id INTEGER,
  CHECK ((status = 'open') = (resolved_by IS NULL AND resolved_at IS NULL)),
  CHECK ((status = 'replayed') = (replay_job_id IS NOT NULL))
) STRICT;
CREATE INDEX dead_letters_by_status ON dead_letters (status, id);
CREATE INDEX dead_letters_by_code ON dead_letters (error_code, id);
CREATE INDEX dead_letters_by_source ON dead_letters (source, id);
CREATE INDEX dead_letters_open_by_event ON dead_letters (event_id) WHERE status = 'open';

-- Approvals ------------------------------------------------------------------
CREATE TABLE approvals (
  id                INTEGER PRIMARY KEY,
  lead_key          TEXT    NOT NULL,
  object            TEXT    NOT NULL,
  field             TEXT    NOT NULL,
  before_json       TEXT    NOT NULL,
  proposed_json     TEXT    NOT NULL,
  confidence        REAL    NOT NULL,
  reason            TEXT    NOT NULL,
  source            TEXT    NOT NULL,
  source_updated_at TEXT    NOT NULL,
  event_id          INTEGER NOT NULL REFERENCES events (id),
  created_at        INTEGER NOT NULL,
  status            TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  decided_by        TEXT,
  decided_at        INTEGER,
  CHECK ((status = 'pending') = (decided_at IS NULL)),
  CHECK ((status IN ('approved', 'rejected')) = (decided_by IS NOT NULL))
) STRICT;
CREATE INDEX approvals_by_status ON approvals (status, id);
CREATE INDEX approvals_by_lead ON approvals (lead_key, id);
CREATE INDEX approvals_pending_by_time ON approvals (created_at) WHERE status = 'pending';

-- Per-lead per-field state: the merge planner's "current field state" --------
CREATE TABLE field_state (
  lead_key   TEXT NOT NULL,
  object     TEXT NOT NULL,
  field      TEXT NOT NULL,
  value_json TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  confidence REAL NOT NULL,
  source     TEXT NOT NULL,
  PRIMARY KEY (lead_key, object, field)
) STRICT, WITHOUT ROWID;

-- Audit log: append-only, hash-chained (core/audit/audit-chain.ts) ------------
CREATE TABLE audit_log (
  id              INTEGER PRIMARY KEY,
  -- Date#toISOString form, so text order is time order.
  time            TEXT    NOT NULL,
  lead_key        TEXT    NOT NULL,
  source          TEXT,
  event_id        TEXT,
  idempotency_key TEXT,
  payload_hash    TEXT,
  mapping_version TEXT,
  schema_version  TEXT,
  object          TEXT,
  changes_json    TEXT    NOT NULL,
  actor_kind      TEXT    NOT NULL,
  actor_name      TEXT    NOT NULL,
  outcome         TEXT    NOT NULL,
  attempt         INTEGER NOT NULL,
  error_code      TEXT,
  error_trace     TEXT,
  crm_record_id   TEXT,
  prev_hash       TEXT    NOT NULL,
  row_hash        TEXT    NOT NULL
) STRICT;
-- Search is newest first by (time, id). Each filter, and source with outcome
-- (the one pair both of low selectivity: "rejected writes from clearbit"),
-- has an index that yields rows in that order, so a page costs a short range
-- scan even at millions of rows. A lead key narrows enough on its own.
CREATE INDEX audit_by_lead ON audit_log (lead_key, time, id);
CREATE INDEX audit_by_source ON audit_log (source, time, id);
CREATE INDEX audit_by_outcome ON audit_log (outcome, time, id);
CREATE INDEX audit_by_source_outcome ON audit_log (source, outcome, time, id);
CREATE INDEX audit_by_time ON audit_log (time, id);

CREATE TRIGGER audit_log_refuse_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_refuse_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
