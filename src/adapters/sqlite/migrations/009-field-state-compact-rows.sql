-- leadsync storage, version 9: field state rows in a compact form.
--
-- Version 2 stored a row's fields as {"<field>": {"value", "appliedAt", "confidence",
-- "source"}}: about 1.3 KB for a contact of 13 fields, most of it the four key names
-- and the same source timestamp and source repeated for every field (a contact's
-- fields usually come from one event). A row is now
--   [<appliedAt>, <source>, {"<field>": [<value>, <confidence>]
--                                     | [<value>, <confidence>, <appliedAt>, <source>]}]
-- where the short form takes the row's own appliedAt and source, which are the pair
-- most of its fields share (the first such pair on a tie). Field order is kept.
UPDATE field_state SET fields_json = (
  SELECT json_array(coalesce(d.at, ''), coalesce(d.src, ''), json_group_object(f.key,
    CASE WHEN f.value ->> '$.appliedAt' = d.at AND f.value ->> '$.source' = d.src
      THEN json_array(f.value -> '$.value', f.value -> '$.confidence')
      ELSE json_array(f.value -> '$.value', f.value -> '$.confidence', f.value ->> '$.appliedAt', f.value ->> '$.source')
    END))
  FROM json_each(field_state.fields_json) AS f,
    (SELECT g.value ->> '$.appliedAt' AS at, g.value ->> '$.source' AS src
     FROM json_each(field_state.fields_json) AS g
     GROUP BY 1, 2 ORDER BY count(*) DESC, min(g.id) LIMIT 1) AS d
);
