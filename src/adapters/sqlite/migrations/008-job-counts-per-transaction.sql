-- leadsync storage, version 8: unfinished jobs counted once per transaction, not per row.
--
-- The triggers of migration 003 updated the lane's row of `job_counts` for
-- every inserted and every deleted job: an ingest batch of 500 events ran 500
-- updates of the same row, a settle of 100 jobs 100 more. The job queue
-- (sqlite-job-queue.ts, `JobCountTally`) now counts the jobs an ingest batch
-- adds and a settle removes, and adds each lane's total once, in the same
-- transaction. The queue's `enqueueInTransaction` and
-- `deleteClaimedInTransaction` are the only writers that add or remove jobs.
-- job_counts_move stays: no code changes a job's lane, and it costs nothing
-- until something does.
DROP TRIGGER job_counts_insert;
DROP TRIGGER job_counts_delete;

-- The counts so far, from the rows (the triggers kept them equal; this makes sure).
UPDATE job_counts SET n = (SELECT count(*) FROM jobs WHERE jobs.lane = job_counts.lane);
