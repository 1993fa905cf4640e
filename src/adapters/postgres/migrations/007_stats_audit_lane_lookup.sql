-- leadsync storage on PostgreSQL, version 7: the audit rows' dashboard counts
-- look their events' lanes up by primary key.
--
-- The statement-level trigger of migration 006 joined the new audit rows to
-- `events` on an expression (the event id text cast to bigint). Its plan is
-- made once per session without statistics of the transition table, and it
-- came out as a hash join over a sequential scan of the whole `events`
-- table: every settle read every event ever stored (0.75 ms per settle at
-- 3,000 events, growing with the table). Here the distinct event ids of the
-- statement are collected first and looked up with one `id = ANY (…)` index
-- scan, so a settle costs its own rows whatever the size of `events`.
-- The counts are the same (an id that is not ours, or not found, counts as lane 'none').
-- CREATE OR REPLACE: a test re-applies 005 onwards to a schema taken back to version 4.
CREATE OR REPLACE FUNCTION stats_count_audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH rows AS (
    SELECT floor(extract(epoch FROM a.time::timestamptz) / 60)::bigint AS minute,
           coalesce(a.source, '(operator)') AS source,
           -- The CASE guards the cast: an event id that is not one of ours has no lane.
           CASE WHEN a.event_id ~ '^[1-9][0-9]{0,17}$' THEN a.event_id::bigint END AS event_id,
           a.outcome AS metric
    FROM new_audit_rows a
  ), lanes AS (
    SELECT e.id, e.lane FROM events e
    WHERE e.id = ANY (ARRAY(SELECT DISTINCT event_id FROM rows WHERE event_id IS NOT NULL))
  ), counted AS (
    SELECT r.minute, r.source, coalesce(l.lane, 'none') AS lane, r.metric, count(*) AS n
    FROM rows r LEFT JOIN lanes l ON l.id = r.event_id
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
