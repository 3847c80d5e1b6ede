-- table: curated.music_seen
-- merge: dt, kind, id
-- scope: dt
-- partition-local: true
-- The tracks and users each day's events name (kind 'track' or 'user', id), for the dimensions
-- (010_tracks.sql, 020_users.sql) to add the ones their imported rows lack. A day's rows depend
-- on that day's raw partitions alone, so new events recompute only their days, and the
-- dimensions read these few rows a day instead of every event. (`dt` is the raw partition's day;
-- like every curated table, the view names the folder, dt = 'all'.)
-- Each event table is read through a union by name with an empty row of dt, so a table with no
-- files yet (an empty view of its declared columns, without the partition's dt) reads as empty.
WITH play AS (SELECT * FROM raw.play UNION ALL BY NAME SELECT NULL::DATE AS dt WHERE false),
skip AS (SELECT * FROM raw.skip UNION ALL BY NAME SELECT NULL::DATE AS dt WHERE false),
lk AS (SELECT * FROM raw.like UNION ALL BY NAME SELECT NULL::DATE AS dt WHERE false),
search AS (SELECT * FROM raw.search UNION ALL BY NAME SELECT NULL::DATE AS dt WHERE false)
SELECT DISTINCT dt, 'track' AS kind, track_id AS id
FROM (SELECT dt, track_id FROM play UNION ALL SELECT dt, track_id FROM skip UNION ALL SELECT dt, track_id FROM lk)
UNION ALL
SELECT DISTINCT dt, 'user', user_id
FROM (SELECT dt, user_id FROM play UNION ALL SELECT dt, user_id FROM skip UNION ALL SELECT dt, user_id FROM lk
      UNION ALL SELECT dt, user_id FROM search)
