-- leadsync storage, version 3: unfinished jobs counted per lane.
--
-- The worker decides every round whether the batch lane is due by its depth,
-- and /readyz reports it. Counting the jobs table costs a scan of it: about
-- 85 ms at a million queued jobs (a backfill), paid once per batch of 100.
-- Triggers keep the count instead, for two updates of one small row per job.
CREATE TABLE job_counts (
  lane TEXT    PRIMARY KEY CHECK (lane IN ('realtime', 'batch')),
  n    INTEGER NOT NULL CHECK (n >= 0)
) STRICT, WITHOUT ROWID;

INSERT INTO job_counts (lane, n)
SELECT lane, (SELECT count(*) FROM jobs WHERE jobs.lane = lanes.lane)
FROM (SELECT 'realtime' AS lane UNION ALL SELECT 'batch') AS lanes;

CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs
BEGIN
  UPDATE job_counts SET n = n + 1 WHERE lane = new.lane;
END;
CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs
BEGIN
  UPDATE job_counts SET n = n - 1 WHERE lane = old.lane;
END;
CREATE TRIGGER job_counts_move AFTER UPDATE OF lane ON jobs WHEN old.lane <> new.lane
BEGIN
  UPDATE job_counts SET n = n - 1 WHERE lane = old.lane;
  UPDATE job_counts SET n = n + 1 WHERE lane = new.lane;
END;
