-- table: curated.music_interactions_daily
-- merge: user_id, track_id, day
-- scope: day
-- partition: day
-- within: user_id, track_id
-- One user-track interaction strength per day, additive so any period's strength is a sum of
-- days (time splits and point-in-time training sets sum the days before a cutoff):
--   +1 per completed play, +0.25 per play heard past the early-skip mark but not completed,
--   -1 per early skip (abandoned in the first 30 s, or the first quarter of a shorter track),
--   +4 per like (the strongest signal: the user saved it).
-- Also the day's skipped plays and time heard, so per-track totals (346_music_track_stats.sql)
-- sum these rows rather than every play.
WITH p AS (
  SELECT user_id, track_id, day, count(*) AS plays, sum(completed::INT) AS completed,
         sum((skipped AND ms_played < least(30000, 0.25 * coalesce(duration_ms, 120000)))::INT) AS early_skips,
         min(ts) AS first_ts, max(ts) AS last_ts, sum(skipped::INT) AS skips, sum(ms_played) AS ms_played
  FROM curated.plays GROUP BY 1, 2, 3
), l AS (
  SELECT user_id, track_id, CAST(ts AS DATE) AS day, count(*) AS likes, min(ts) AS first_ts, max(ts) AS last_ts
  FROM curated.likes GROUP BY 1, 2, 3
)
SELECT user_id, track_id, day, coalesce(p.plays, 0) AS plays, coalesce(p.completed, 0) AS completed,
       coalesce(p.early_skips, 0) AS early_skips, coalesce(l.likes, 0) AS likes,
       coalesce(p.completed, 0) + 0.25 * (coalesce(p.plays, 0) - coalesce(p.completed, 0) - coalesce(p.early_skips, 0))
         - coalesce(p.early_skips, 0) + 4 * coalesce(l.likes, 0) AS strength,
       least(p.first_ts, l.first_ts) AS first_ts, greatest(p.last_ts, l.last_ts) AS last_ts,
       coalesce(p.skips, 0) AS skips, coalesce(p.ms_played, 0) AS ms_played
FROM p FULL OUTER JOIN l USING (user_id, track_id, day)
