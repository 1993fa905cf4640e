-- leadsync storage on PostgreSQL, version 4: API tokens, and per-minute counts
-- for the dashboard (as SQLite's 004-api-tokens-and-stats.sql).

-- API tokens (docs/dashboard.md). Only the SHA-256 of a token is kept.
CREATE TABLE api_tokens (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text        NOT NULL,
  role         text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  token_hash   text        NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz
);
-- A name is the audit actor of what its token does: one active token per name.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- Counts per minute, source, lane and metric ('received', or an audit outcome),
-- kept by triggers, so the dashboard's charts read ~1,440 rows per series and day.
CREATE TABLE stats_minutes (
  minute bigint NOT NULL, -- epoch minutes (UTC)
  source text   NOT NULL,
  lane   text   NOT NULL, -- realtime, batch, or 'none' (an audit entry without an event)
  metric text   NOT NULL,
  n      bigint NOT NULL,
  PRIMARY KEY (minute, source, lane, metric)
);

CREATE FUNCTION stats_count_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_minutes (minute, source, lane, metric, n)
  VALUES (floor(extract(epoch FROM NEW.received_at) / 60)::bigint, NEW.source, NEW.lane, 'received', 1)
  ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = stats_minutes.n + 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER stats_count_event AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION stats_count_event();

CREATE FUNCTION stats_count_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_minutes (minute, source, lane, metric, n)
  VALUES (
    floor(extract(epoch FROM NEW.time::timestamptz) / 60)::bigint,
    coalesce(NEW.source, '(operator)'),
    coalesce(CASE WHEN NEW.event_id ~ '^[1-9][0-9]{0,17}$' THEN (SELECT lane FROM events WHERE id = NEW.event_id::bigint) END, 'none'),
    NEW.outcome,
    1)
  ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = stats_minutes.n + 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER stats_count_audit AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION stats_count_audit();
