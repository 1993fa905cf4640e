-- leadsync storage, version 6: per-hour counts for the dashboard.
--
-- When traffic is thin, `stats_minutes` holds about one row per event or
-- audit entry, so a chart of a month scanned as many rows as the audit log.
-- `stats_hours` holds the same counts per hour: charts with buckets of whole
-- hours read it (and the minutes of the last, unfinished hour of the range).
-- The triggers of migration 004 are replaced by ones that add to both tables
-- in the same statement's trigger, so the two never disagree.
CREATE TABLE stats_hours (
  hour   INTEGER NOT NULL, -- epoch hours (UTC); the minutes hour * 60 .. hour * 60 + 59 of stats_minutes
  source TEXT    NOT NULL,
  lane   TEXT    NOT NULL,
  metric TEXT    NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (hour, source, lane, metric)
) STRICT, WITHOUT ROWID;

DROP TRIGGER stats_count_event;
CREATE TRIGGER stats_count_event AFTER INSERT ON events
BEGIN
  INSERT INTO stats_minutes (minute, source, lane, metric, n)
  VALUES (new.received_at / 60000, new.source, new.lane, 'received', 1)
  ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = n + 1;
  INSERT INTO stats_hours (hour, source, lane, metric, n)
  VALUES (new.received_at / 60000 / 60, new.source, new.lane, 'received', 1)
  ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = n + 1;
END;

DROP TRIGGER stats_count_audit;
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
  INSERT INTO stats_hours (hour, source, lane, metric, n)
  VALUES (
    CAST(strftime('%s', new.time) AS INTEGER) / 60 / 60,
    coalesce(new.source, '(operator)'),
    coalesce((SELECT lane FROM events WHERE id = CAST(new.event_id AS INTEGER)), 'none'),
    new.outcome,
    1)
  ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = n + 1;
END;

-- The counts so far, summed from the minutes.
INSERT INTO stats_hours (hour, source, lane, metric, n)
SELECT minute / 60, source, lane, metric, sum(n) FROM stats_minutes GROUP BY 1, 2, 3, 4;
