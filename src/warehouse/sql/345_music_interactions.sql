-- table: curated.music_interactions
-- merge: user_id, track_id
-- The user-track interaction strength over all time (the sum of the daily strengths: completed
-- plays, early skips negative, likes strong). Recommenders train on the pairs with strength > 0;
-- every row is a track the user has heard, so playlists exclude all of them.
SELECT user_id, track_id, sum(plays) AS plays, sum(completed) AS completed, sum(early_skips) AS early_skips,
       sum(likes) AS likes, sum(strength) AS strength, min(first_ts) AS first_ts, max(last_ts) AS last_ts,
       sum(skips) AS skips, sum(ms_played) AS ms_played
FROM curated.music_interactions_daily GROUP BY user_id, track_id
