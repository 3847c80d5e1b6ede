-- table: curated.music_track_stats
-- merge: track_id
-- Per track: how often it is played, skipped, completed and liked, by how many listeners. The
-- rates are plain shares of plays; consumers that rank by them shrink small counts themselves.
WITH p AS (
  SELECT track_id, count(*) AS plays, count(DISTINCT user_id) AS listeners,
         sum(skipped::INT) AS skips, sum(completed::INT) AS completions, sum(ms_played) / 3.6e6 AS hours_played
  FROM curated.plays GROUP BY track_id
), l AS (
  SELECT track_id, count(*) AS likes FROM curated.likes GROUP BY track_id
)
SELECT t.track_id, t.artist, t.genre, coalesce(p.plays, 0) AS plays, coalesce(p.listeners, 0) AS listeners,
       coalesce(p.skips, 0) AS skips, coalesce(p.completions, 0) AS completions, coalesce(l.likes, 0) AS likes,
       coalesce(p.hours_played, 0) AS hours_played,
       CASE WHEN p.plays > 0 THEN p.skips / p.plays END AS skip_rate,
       CASE WHEN p.plays > 0 THEN p.completions / p.plays END AS completion_rate
FROM curated.tracks t LEFT JOIN p USING (track_id) LEFT JOIN l USING (track_id)
