-- leadsync storage on PostgreSQL, version 1: everything but the job queue
-- (002_job_queue.sql). Times we set ourselves are timestamptz; source
-- timestamps and audit times are ISO 8601 text, hashed exactly as stored.
-- Job ids are text: the queue engine issues them (opaque to this schema).

-- Raw events and the idempotency gate ---------------------------------------
CREATE TABLE events (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source            text        NOT NULL,
  lead_id           text        NOT NULL,
  lead_key          text        NOT NULL,
  idempotency_key   text        NOT NULL UNIQUE,
  payload_hash      text        NOT NULL,
  -- json, not jsonb: the raw event keeps its text (key order, duplicates). NULL once purged.
  payload           json,
  payload_purged_at timestamptz,
  received_at       timestamptz NOT NULL,
  lane              text        NOT NULL CHECK (lane IN ('realtime', 'batch')),
  webhook_id        text,
  CHECK ((payload IS NULL) = (payload_purged_at IS NOT NULL))
);
CREATE UNIQUE INDEX events_by_webhook_id ON events (source, webhook_id) WHERE webhook_id IS NOT NULL;
-- Retention scans only payloads still kept.
CREATE INDEX events_payload_kept_by_time ON events (received_at) WHERE payload IS NOT NULL;

-- Deliveries that reused an idempotency key with another payload: visible, never processed.
CREATE TABLE conflicts (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id          bigint      NOT NULL REFERENCES events (id),
  payload_hash      text        NOT NULL,
  payload           json,
  payload_purged_at timestamptz,
  webhook_id        text,
  first_received_at timestamptz NOT NULL,
  last_received_at  timestamptz NOT NULL,
  deliveries        integer     NOT NULL DEFAULT 1,
  UNIQUE (event_id, payload_hash),
  CHECK ((payload IS NULL) = (payload_purged_at IS NOT NULL))
);
CREATE INDEX conflicts_payload_kept_by_time ON conflicts (last_received_at) WHERE payload IS NOT NULL;

-- Dead letters ---------------------------------------------------------------
CREATE TABLE dead_letters (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      bigint      NOT NULL REFERENCES events (id),
  -- The job is gone once it is dead-lettered, so no foreign key.
  job_id        text        NOT NULL,
  source        text        NOT NULL,
  lead_key      text        NOT NULL,
  error_code    text        NOT NULL,
  message       text        NOT NULL,
  trace         text        NOT NULL,
  attempts      integer     NOT NULL,
  created_at    timestamptz NOT NULL,
  status        text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
  resolved_by   text,
  resolved_at   timestamptz,
  replay_job_id text,
  CHECK ((status = 'open') = (resolved_by IS NULL AND resolved_at IS NULL)),
  CHECK ((status = 'replayed') = (replay_job_id IS NOT NULL))
);
CREATE INDEX dead_letters_by_status ON dead_letters (status, id);
CREATE INDEX dead_letters_by_code ON dead_letters (error_code, id);
CREATE INDEX dead_letters_by_source ON dead_letters (source, id);
CREATE INDEX dead_letters_open_by_event ON dead_letters (event_id) WHERE status = 'open';

-- Approvals ------------------------------------------------------------------
CREATE TABLE approvals (
  id                bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lead_key          text             NOT NULL,
  object            text             NOT NULL,
  field             text             NOT NULL,
  -- Field values in canonical JSON text, as the SQLite store keeps them.
  before_json       text             NOT NULL,
  proposed_json     text             NOT NULL,
  confidence        double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  reason            text             NOT NULL,
  source            text             NOT NULL,
  source_updated_at text             NOT NULL,
  event_id          bigint           NOT NULL REFERENCES events (id),
  created_at        timestamptz      NOT NULL,
  status            text             NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  decided_by        text,
  decided_at        timestamptz,
  CHECK ((status = 'pending') = (decided_at IS NULL)),
  CHECK ((status IN ('approved', 'rejected')) = (decided_by IS NOT NULL))
);
CREATE INDEX approvals_by_status ON approvals (status, id);
CREATE INDEX approvals_by_lead ON approvals (lead_key, id);
CREATE INDEX approvals_pending_by_time ON approvals (created_at) WHERE status = 'pending';

-- Field state: one row per lead and CRM object --------------------------------
-- {"<field>": {"value", "appliedAt", "confidence", "source"}}. jsonb so a settle
-- merges its fields into the row with `||` under the row lock, whatever another
-- process wrote to other fields of the record meanwhile.
CREATE TABLE field_state (
  lead_key text  NOT NULL,
  object   text  NOT NULL,
  fields   jsonb NOT NULL,
  PRIMARY KEY (lead_key, object)
);

-- Audit log: append-only, hash-chained (core/audit/audit-chain.ts) ------------
CREATE TABLE audit_log (
  -- Chain position, assigned from audit_chain_head (not a sequence): no gaps, id order = chain order.
  id              bigint  PRIMARY KEY,
  -- Date#toISOString text exactly as hashed; byte order (COLLATE "C") is time order.
  time            text    COLLATE "C" NOT NULL,
  lead_key        text    NOT NULL,
  source          text,
  event_id        text,
  idempotency_key text,
  payload_hash    text,
  mapping_version text,
  schema_version  text,
  object          text,
  -- json keeps the text as written; verification re-canonicalises the parsed value.
  changes         json    NOT NULL,
  actor_kind      text    NOT NULL,
  actor_name      text    NOT NULL,
  outcome         text    NOT NULL,
  attempt         integer NOT NULL,
  error_code      text,
  error_trace     text,
  crm_record_id   text,
  prev_hash       text    NOT NULL,
  row_hash        text    NOT NULL
);
-- Search is newest first by (time, id); see docs/decisions/0003-sqlite-storage.md.
CREATE INDEX audit_by_lead ON audit_log (lead_key, time, id);
CREATE INDEX audit_by_source ON audit_log (source, time, id);
CREATE INDEX audit_by_outcome ON audit_log (outcome, time, id);
CREATE INDEX audit_by_source_outcome ON audit_log (source, outcome, time, id);
CREATE INDEX audit_by_time ON audit_log (time, id);

-- The chain's head: one row, locked (SELECT … FOR UPDATE) by every append, so
-- appends from any number of processes form one chain, one after the other.
CREATE TABLE audit_chain_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id   bigint  NOT NULL,
  row_hash  text    NOT NULL
);
INSERT INTO audit_chain_head (last_id, row_hash) VALUES (0, repeat('0', 64));

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_refuse_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_refuse_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_refuse_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
