-- leadsync storage on PostgreSQL, version 5: per-hour counts for the dashboard
-- (as SQLite's 006-stats-hours.sql).
--
-- When traffic is thin, `stats_minutes` holds about one row per event or
-- audit entry, so a chart of a month scanned as many rows as the audit log.
-- `stats_hours` holds the same counts per hour: charts with buckets of whole
-- hours read it (and the minutes of the last, unfinished hour of the range).
-- The trigger functions of migration 004 now add to both tables.
CREATE TABLE stats_hours (
  hour   bigint NOT NULL, -- epoch hours (UTC); the minutes hour * 60 .. hour * 60 + 59 of stats_minutes
  source text   NOT NULL,
  lane   text   NOT NULL,
  metric text   NOT NULL,
  n      bigint NOT NULL,
  PRIMARY KEY (hour, source, lane, metric)
);

CREATE OR REPLACE FUNCTION stats_count_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  m bigint := floor(extract(epoch FROM NEW.received_at) / 60)::bigint;
BEGIN
  INSERT INTO stats_minutes (minute, source, lane, metric, n)
  VALUES (m, NEW.source, NEW.lane, 'received', 1)
  ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = stats_minutes.n + 1;
  INSERT INTO stats_hours (hour, source, lane, metric, n)
  VALUES (floor(m / 60.0)::bigint, NEW.source, NEW.lane, 'received', 1)
  ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = stats_hours.n + 1;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION stats_count_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  m bigint := floor(extract(epoch FROM NEW.time::timestamptz) / 60)::bigint;
  s text := coalesce(NEW.source, '(operator)');
  l text := coalesce(CASE WHEN NEW.event_id ~ '^[1-9][0-9]{0,17}$' THEN (SELECT lane FROM events WHERE id = NEW.event_id::bigint) END, 'none');
BEGIN
  INSERT INTO stats_minutes (minute, source, lane, metric, n)
  VALUES (m, s, l, NEW.outcome, 1)
  ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = stats_minutes.n + 1;
  INSERT INTO stats_hours (hour, source, lane, metric, n)
  VALUES (floor(m / 60.0)::bigint, s, l, NEW.outcome, 1)
  ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = stats_hours.n + 1;
  RETURN NULL;
END;
$$;

-- The counts so far, summed from the minutes.
INSERT INTO stats_hours (hour, source, lane, metric, n)
SELECT floor(minute / 60.0)::bigint, source, lane, metric, sum(n) FROM stats_minutes GROUP BY 1, 2, 3, 4;
