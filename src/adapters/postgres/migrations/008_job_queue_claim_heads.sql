-- leadsync storage on PostgreSQL, version 8: the claim's due heads through a
-- plan that does not depend on statistics (docs/decisions/0026-postgres-ingest-and-claim-cpu.md).
--
-- A claim takes the first `n` due head jobs of a lane in due order, locked
-- (`FOR UPDATE SKIP LOCKED`). The index `job_queue_due_heads (lane, run_at, id)
-- WHERE head` hands them out in that order, so the scan stops after `n` rows
-- (plus the few heads held by live claims). While a backlog arrives the
-- table's statistics are stale (autovacuum analyses it a minute later at
-- best) and estimate a handful of heads; the planner then picks a bitmap scan
-- of every head of the lane and a sort of all of them — measured 8 ms of
-- server CPU per claim on a queue of 20,000, against 0.1 ms for the ordered
-- index scan, on every claim of a backfill. Plan settings cannot be given
-- to one statement, but a function can carry them: this one runs its query
-- with bitmap scans, sequential scans and sorts priced out, which leaves the
-- ordered index scan whatever the statistics say. Same rows, same order,
-- same locks as the query it replaces in `PgJobQueue.claim`.
-- CREATE OR REPLACE: a test re-applies 005 onwards to a schema taken back to version 4.
-- `ROWS 10`: the calling statement is planned with this estimate (a claim
-- asks for a few to 100 heads). PostgreSQL's default of 1,000 rows for a
-- function made the batch claim's estimated cost cross `jit_above_cost`, and
-- JIT compilation cost ~16 ms per claim.
CREATE OR REPLACE FUNCTION job_queue_claimable_heads(claim_lane text, claim_now timestamptz, claim_limit integer)
RETURNS TABLE (id bigint, lead_key text, run_at timestamptz)
LANGUAGE sql VOLATILE
ROWS 10
SET enable_bitmapscan = off
SET enable_seqscan = off
SET enable_sort = off
AS $$
  SELECT q.id, q.lead_key, q.run_at FROM job_queue q
  WHERE q.head AND q.lane = claim_lane AND q.visible_at <= claim_now
  ORDER BY q.run_at, q.id
  LIMIT claim_limit
  FOR UPDATE SKIP LOCKED
$$;
