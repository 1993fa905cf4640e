-- leadsync storage on PostgreSQL, version 6: the dashboard counts are added
-- once per statement instead of once per row.
--
-- The triggers of migrations 004/005 ran for every inserted event and audit
-- row: two upserts each (minute and hour), plus a lookup of the event's lane
-- for an audit row, i.e. ~600 extra statements inside a settle of 100 jobs
-- (200 audit rows). Statement-level triggers read the statement's new rows
-- (a transition table), count them per (minute, source, lane, metric) and add
-- each count with one upsert per table. The counts are the same; rows are
-- upserted in key order, so two transactions counting into the same rows lock
-- them in the same order.
-- IF EXISTS / OR REPLACE throughout: a test re-applies 005 and 006 to a schema taken back to version 4.
DROP TRIGGER IF EXISTS stats_count_event ON events;
DROP TRIGGER IF EXISTS stats_count_audit ON audit_log;
DROP FUNCTION IF EXISTS stats_count_event();
DROP FUNCTION IF EXISTS stats_count_audit();

CREATE OR REPLACE FUNCTION stats_count_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH counted AS (
    SELECT floor(extract(epoch FROM received_at) / 60)::bigint AS minute, source, lane, count(*) AS n
    FROM new_events GROUP BY 1, 2, 3
  ), minutes AS (
    INSERT INTO stats_minutes (minute, source, lane, metric, n)
    SELECT minute, source, lane, 'received', n FROM counted ORDER BY 1, 2, 3
    ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = stats_minutes.n + excluded.n
  )
  INSERT INTO stats_hours (hour, source, lane, metric, n)
  SELECT floor(minute / 60.0)::bigint, source, lane, 'received', sum(n) FROM counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = stats_hours.n + excluded.n;
  RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS stats_count_events ON events;
CREATE TRIGGER stats_count_events AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION stats_count_events();

CREATE OR REPLACE FUNCTION stats_count_audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH counted AS (
    SELECT floor(extract(epoch FROM a.time::timestamptz) / 60)::bigint AS minute,
           coalesce(a.source, '(operator)') AS source,
           coalesce(e.lane, 'none') AS lane,
           a.outcome AS metric,
           count(*) AS n
    FROM new_audit_rows a
    -- The CASE guards the cast: an event id that is not one of ours counts as 'none'.
    LEFT JOIN events e ON e.id = CASE WHEN a.event_id ~ '^[1-9][0-9]{0,17}$' THEN a.event_id::bigint END
    GROUP BY 1, 2, 3, 4
  ), minutes AS (
    INSERT INTO stats_minutes (minute, source, lane, metric, n)
    SELECT minute, source, lane, metric, n FROM counted ORDER BY 1, 2, 3, 4
    ON CONFLICT (minute, source, lane, metric) DO UPDATE SET n = stats_minutes.n + excluded.n
  )
  INSERT INTO stats_hours (hour, source, lane, metric, n)
  SELECT floor(minute / 60.0)::bigint, source, lane, metric, sum(n) FROM counted GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (hour, source, lane, metric) DO UPDATE SET n = stats_hours.n + excluded.n;
  RETURN NULL;
END;
$$;
DROP TRIGGER IF EXISTS stats_count_audit_rows ON audit_log;
CREATE TRIGGER stats_count_audit_rows AFTER INSERT ON audit_log
  REFERENCING NEW TABLE AS new_audit_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_count_audit_rows();
