-- table: curated.music_user_genres
-- merge: user_id, genre
-- scope: user_id
-- delta: sum(plays, completions, skips, likes) in g
-- Per user and genre: plays, completions, skips and likes, the genre's share of the user's plays
-- and an affinity in [-1, 1]: (completions + 2 likes - skips) / (plays + 2 likes + 5), shrunk
-- towards 0 by the +5 so that two skips do not make a genre hated.
-- Summed from the user-track interactions (345_music_interactions.sql), a third of the rows of
-- curated.plays, with the likes already counted in them. g holds sums only (an incremental build
-- adds the changed interactions' sums to the stored ones, src/warehouse/incremental/by-delta.ts);
-- rates, shares and affinities are derived per touched user from g.
WITH g AS (
  SELECT i.user_id, t.genre, sum(i.plays) AS plays, sum(i.completed) AS completions, sum(i.skips) AS skips, sum(i.likes) AS likes
  FROM curated.music_interactions i JOIN curated.tracks t USING (track_id) WHERE t.genre IS NOT NULL GROUP BY 1, 2
)
SELECT user_id, genre, CAST(plays AS BIGINT) AS plays, CAST(completions AS DOUBLE) AS completions,
       CAST(skips AS DOUBLE) AS skips, CAST(likes AS BIGINT) AS likes,
       CASE WHEN plays > 0 THEN skips / plays END AS skip_rate,
       plays / sum(plays) OVER (PARTITION BY user_id) AS share,
       (completions + 2 * likes - skips) / (plays + 2 * likes + 5) AS affinity
FROM g
