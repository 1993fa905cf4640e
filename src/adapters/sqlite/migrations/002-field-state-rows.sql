-- leadsync storage, version 2: field state as one row per lead and CRM object.
--
-- Version 1 kept one row per field (about 13 per contact) in a WITHOUT ROWID
-- table keyed by lead key: a settle upserted every field separately and each
-- new lead inserted ~1.5 KB at a random place in the tree. The planner reads
-- and the settle writes a lead's fields together, so they now live in one JSON
-- row: {"<field>": {"value", "appliedAt", "confidence", "source"}}. Rows get
-- rowids in insertion order (new leads append); only the small unique index
-- on (lead_key, object) takes random inserts.
CREATE TABLE field_state_rows (
  id          INTEGER PRIMARY KEY,
  lead_key    TEXT NOT NULL,
  object      TEXT NOT NULL,
  fields_json TEXT NOT NULL,
  UNIQUE (lead_key, object)
) STRICT;

INSERT INTO field_state_rows (lead_key, object, fields_json)
SELECT lead_key, object, json_group_object(field, json_object(
  'value', json(value_json), 'appliedAt', applied_at, 'confidence', confidence, 'source', source))
FROM field_state
GROUP BY lead_key, object;

DROP TABLE field_state;
ALTER TABLE field_state_rows RENAME TO field_state;
