-- leadsync storage, version 7: the dashboard's counts added once per transaction, not per row.
--
-- The triggers of migration 006 ran, for every stored event, two upserts
-- (minute and hour), and for every audit row two upserts and two look-ups of
-- the row's event for its lane. An ingest batch stores hundreds of events and
-- a batch settle appends a few hundred audit rows, all falling into a handful
-- of (minute, source, lane, metric) keys. The ingest store and the audit store
-- (sqlite-stats-counts.ts) now count while writing and add each key once, in
-- the same transaction, with the minute, hour, lane and source computed as the
-- triggers computed them. They are the only writers of `events` and
-- `audit_log`. The counts so far are kept.
DROP TRIGGER stats_count_event;
DROP TRIGGER stats_count_audit;
