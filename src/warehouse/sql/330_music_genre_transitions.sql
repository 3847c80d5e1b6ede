-- table: curated.music_genre_transitions
-- Genre sequences: for each play that follows another play of the same user within 30 minutes
-- (the same listening session), the previous track's genre and this one's, with how often this
-- play was skipped or completed, e.g. rock then a skipped jazz track.
WITH seq AS (
  SELECT p.user_id, p.ts, p.skipped, p.completed, t.genre,
         lag(t.genre) OVER w AS prev_genre, lag(p.ts) OVER w AS prev_ts
  FROM curated.plays p JOIN curated.tracks t USING (track_id)
  WINDOW w AS (PARTITION BY p.user_id ORDER BY p.ts, p.event_id)
)
SELECT prev_genre, genre, count(*) AS plays, sum(skipped::INT) AS skips, sum(completed::INT) AS completions,
       avg(skipped::INT) AS skip_rate, avg(completed::INT) AS completion_rate
FROM seq
WHERE prev_genre IS NOT NULL AND genre IS NOT NULL AND ts - prev_ts <= INTERVAL 30 MINUTE
GROUP BY prev_genre, genre
