-- table: curated.music_seen
-- merge: day, kind, id
-- scope: day
-- partition: day
-- The tracks and users each day's events name (kind 'track' or 'user', id), for the dimensions
-- (010_tracks.sql, 020_users.sql) to add the ones their imported rows lack. A day's rows depend
-- on that day's events alone, so new events recompute only their days (reading only those
-- days' raw partitions), and the dimensions read these few rows a day instead of every event.
SELECT DISTINCT CAST(ts AS DATE) AS day, 'track' AS kind, track_id AS id
FROM (SELECT ts, track_id FROM raw.play UNION ALL SELECT ts, track_id FROM raw.skip UNION ALL SELECT ts, track_id FROM raw.like)
UNION ALL
SELECT DISTINCT CAST(ts AS DATE), 'user', user_id
FROM (SELECT ts, user_id FROM raw.play UNION ALL SELECT ts, user_id FROM raw.skip UNION ALL SELECT ts, user_id FROM raw.like
      UNION ALL SELECT ts, user_id FROM raw.search)
