-- table: curated.music_user_genres
-- merge: user_id, genre
-- scope: user_id
-- Per user and genre: plays, completions, skips and likes, the genre's share of the user's plays
-- and an affinity in [-1, 1]: (completions + 2 likes - skips) / (plays + 2 likes + 5), shrunk
-- towards 0 by the +5 so that two skips do not make a genre hated.
WITH p AS (
  SELECT p.user_id, t.genre, count(*) AS plays, sum(p.completed::INT) AS completions, sum(p.skipped::INT) AS skips
  FROM curated.plays p JOIN curated.tracks t USING (track_id) WHERE t.genre IS NOT NULL GROUP BY 1, 2
), l AS (
  SELECT l.user_id, t.genre, count(*) AS likes
  FROM curated.likes l JOIN curated.tracks t USING (track_id) WHERE t.genre IS NOT NULL GROUP BY 1, 2
)
SELECT user_id, genre, coalesce(p.plays, 0) AS plays, coalesce(p.completions, 0) AS completions,
       coalesce(p.skips, 0) AS skips, coalesce(l.likes, 0) AS likes,
       CASE WHEN p.plays > 0 THEN p.skips / p.plays END AS skip_rate,
       coalesce(p.plays, 0) / sum(coalesce(p.plays, 0)) OVER (PARTITION BY user_id) AS share,
       (coalesce(p.completions, 0) + 2 * coalesce(l.likes, 0) - coalesce(p.skips, 0))
         / (coalesce(p.plays, 0) + 2 * coalesce(l.likes, 0) + 5) AS affinity
FROM p FULL OUTER JOIN l USING (user_id, genre)
