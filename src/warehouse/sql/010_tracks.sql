-- table: curated.tracks
-- merge: track_id
-- existence: raw.play, raw.skip, raw.like
-- The track dimension: the imported catalogue (latest row per track), plus any track seen in
-- events but missing from the catalogue, so facts never lose a join.
WITH catalogue AS (
  SELECT * FROM raw.tracks QUALIFY row_number() OVER (PARTITION BY track_id ORDER BY track_id) = 1
), seen AS (
  SELECT track_id FROM raw.play UNION SELECT track_id FROM raw.skip UNION SELECT track_id FROM raw.like
)
SELECT coalesce(c.track_id, s.track_id) AS track_id, c.title, c.artist_id, c.artist, c.genre,
       c.bpm, c.duration_ms, c.release_year, c.track_id IS NULL AS unknown_to_catalogue
FROM catalogue c FULL OUTER JOIN seen s ON s.track_id = c.track_id
