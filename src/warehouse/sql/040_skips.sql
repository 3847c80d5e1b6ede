-- table: curated.skips
-- merge: event_id
-- scope: dt
-- partition: dt
-- within: event_id
SELECT * EXCLUDE (type) FROM raw.skip QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
