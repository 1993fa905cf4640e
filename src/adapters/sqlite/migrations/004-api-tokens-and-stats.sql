-- leadsync storage, version 4: API tokens, and per-minute counts for the dashboard.

-- API tokens (docs/dashboard.md). Only the SHA-256 of a token is kept.
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  name         TEXT    NOT NULL,
  role         TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  token_hash   TEXT    NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
) STRICT;
-- A name is the audit actor of what its token does: one active token per name.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- Counts per minute, source, lane and metric ('received', or an audit outcome).
-- The dashboard's charts read a day as ~1,440 rows per series instead of
-- scanning every event and audit row of the day (a million at backfill scale).
-- Triggers keep it: one upsert of a small row per event and per audit entry.
CREATE TABLE stats_minutes (
  minute INTEGER NOT NULL, -- epoch minutes (UTC)
  source TEXT    NOT NULL,
  lane   TEXT    NOT NULL, -- realtime, batch, or 'none' (an audit entry without an event)
  metric TEXT    NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (minute, source, lane, metric)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER stats_count_event AFTER INSERT ON events
BEGIN
  INSERT INTO stats_minutes (minute, source, lane, metric, n)
  VALUES (new.received_at / 60000, new.source, new.lane, 'received', 1)
  ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER stats_count_audit AFTER INSERT ON audit_log
BEGIN
  INSERT INTO stats_minutes (minute, source, lane, metric, n)
  VALUES (
    CAST(strftime('%s', new.time) AS INTEGER) / 60,
    coalesce(new.source, '(operator)'),
    coalesce((SELECT lane FROM events WHERE id = CAST(new.event_id AS INTEGER)), 'none'),
    new.outcome,
    1)
  ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = n + 1;
END;

INSERT INTO stats_minutes (minute, source, lane, metric, n)
SELECT received_at / 60000, source, lane, 'received', count(*) FROM events GROUP BY 1, 2, 3;

INSERT INTO stats_minutes (minute, source, lane, metric, n)
SELECT CAST(strftime('%s', a.time) AS INTEGER) / 60, coalesce(a.source, '(operator)'), coalesce(e.lane, 'none'), a.outcome, count(*)
FROM audit_log a LEFT JOIN events e ON e.id = CAST(a.event_id AS INTEGER)
-- WHERE true: SQLite's parser needs it to read the ON CONFLICT below as the upsert clause.
WHERE true
GROUP BY 1, 2, 3, 4
ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = n + excluded.n;
