-- table: curated.music_track_stats
-- merge: track_id
-- delta: sum(plays, listeners, skips, completions, likes, hours_played) in i
-- Per track: how often it is played, skipped, completed and liked, by how many listeners. The
-- rates are plain shares of plays; consumers that rank by them shrink small counts themselves.
-- Summed from the user-track interactions (345_music_interactions.sql: one row per user and
-- track, so a track's listeners are its rows with plays), a third of the rows of curated.plays
-- and no distinct count. i holds sums and counts only (listeners: the rows with plays), so an
-- incremental build adds the changed interactions' sums to the stored ones
-- (src/warehouse/incremental/by-delta.ts); the rates are derived per touched track.
WITH i AS (
  SELECT track_id, sum(plays) AS plays, count(*) FILTER (WHERE plays > 0) AS listeners, sum(skips) AS skips,
         sum(completed) AS completions, sum(likes) AS likes, sum(ms_played) / 3.6e6 AS hours_played
  FROM curated.music_interactions GROUP BY track_id
)
SELECT t.track_id, t.artist, t.genre, CAST(coalesce(i.plays, 0) AS BIGINT) AS plays, coalesce(i.listeners, 0) AS listeners,
       CAST(coalesce(i.skips, 0) AS DOUBLE) AS skips, CAST(coalesce(i.completions, 0) AS DOUBLE) AS completions,
       CAST(coalesce(i.likes, 0) AS BIGINT) AS likes, CAST(coalesce(i.hours_played, 0) AS DOUBLE) AS hours_played,
       CASE WHEN i.plays > 0 THEN i.skips / i.plays END AS skip_rate,
       CASE WHEN i.plays > 0 THEN i.completions / i.plays END AS completion_rate
FROM curated.tracks t LEFT JOIN i USING (track_id)
