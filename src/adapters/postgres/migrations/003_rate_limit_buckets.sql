-- leadsync storage on PostgreSQL, version 3: CRM rate-limit buckets shared by
-- every worker process (src/adapters/postgres/pg-rate-limit-store.ts).
--
-- One row per CRM destination: the token bucket of the rate-limit governor
-- (src/core/rate-limit/token-bucket.ts) and, while the destination is paused
-- (daily limit used up), why and until when. Each operation locks the row
-- (SELECT … FOR UPDATE), computes in the core and writes back in one
-- transaction, so two workers never both take the last token and the CRM's
-- limit is shared rather than multiplied by the number of workers.
-- Times are epoch milliseconds, as the core computes them.
CREATE TABLE rate_limit_buckets (
  destination   text             PRIMARY KEY,
  tokens        double precision NOT NULL CHECK (tokens >= 0),
  updated_at    bigint           NOT NULL,
  blocked_until bigint           NOT NULL DEFAULT 0,
  pause_since   bigint,
  pause_until   bigint,
  pause_reason  text
);
