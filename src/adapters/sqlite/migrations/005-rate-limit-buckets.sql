-- leadsync storage, version 5: CRM rate-limit buckets shared by worker processes.
--
-- One row per CRM destination: the token bucket of the rate-limit governor
-- (src/core/rate-limit/token-bucket.ts) and, while the destination is paused
-- (daily limit used up), why and until when. Every process writing to the
-- same CRM through this file takes its tokens here, in an IMMEDIATE
-- transaction, so the CRM's limit is shared rather than multiplied.
CREATE TABLE rate_limit_buckets (
  destination   TEXT    PRIMARY KEY,
  tokens        REAL    NOT NULL CHECK (tokens >= 0),
  updated_at    INTEGER NOT NULL,
  blocked_until INTEGER NOT NULL DEFAULT 0,
  pause_since   INTEGER,
  pause_until   INTEGER,
  pause_reason  TEXT
) STRICT, WITHOUT ROWID;
