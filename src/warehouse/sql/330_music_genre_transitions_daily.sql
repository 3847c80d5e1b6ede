-- table: curated.music_genre_transitions_daily
-- merge: day, prev_genre, genre
-- scope: day
-- partition: day
-- group delta: count(plays) sum(skips, completions) over(user_id, day) lookback(ts, INTERVAL 30 MINUTE)
-- Genre sequences per day: for each play that follows another play of the same user within 30
-- minutes (the same listening session, cut at midnight UTC), the previous track's genre and this
-- one's, with how often this play was skipped or completed, e.g. rock then a skipped jazz track.
-- A day's rows depend on that day's plays alone (curated.music_genre_transitions sums the days),
-- and a play's contribution on the plays of its user's day before it, within 30 minutes: so new
-- plays recompute only their users' days, from 30 minutes before their first new play (group
-- delta, src/warehouse/incremental/by-groups.ts; the counts never NULL, so they add up).
WITH seq AS (
  SELECT p.day, p.ts, p.skipped, p.completed, t.genre,
         lag(t.genre) OVER w AS prev_genre, lag(p.ts) OVER w AS prev_ts
  FROM curated.plays p JOIN curated.tracks t USING (track_id)
  WINDOW w AS (PARTITION BY p.user_id, p.day ORDER BY p.ts, p.event_id)
)
SELECT day, prev_genre, genre, count(*) AS plays, sum(coalesce(skipped, false)::INT) AS skips,
       sum(coalesce(completed, false)::INT) AS completions
FROM seq
WHERE prev_genre IS NOT NULL AND genre IS NOT NULL AND ts - prev_ts <= INTERVAL 30 MINUTE
GROUP BY day, prev_genre, genre
