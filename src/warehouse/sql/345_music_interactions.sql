-- table: curated.music_interactions
-- merge: user_id, track_id
-- delta: sum(plays, completed, early_skips, likes, strength, skips, ms_played), min(first_ts), max(last_ts)
-- The user-track interaction strength over all time (the sum of the daily strengths: completed
-- plays, early skips negative, likes strong). Recommenders train on the pairs with strength > 0;
-- every row is a track the user has heard, so playlists exclude all of them.
-- Sums, a min and a max of the daily rows: an incremental build adds the changed daily rows'
-- sums to the stored ones (src/warehouse/incremental/by-delta.ts) instead of re-reading every
-- day of each touched pair.
SELECT user_id, track_id, sum(plays) AS plays, sum(completed) AS completed, sum(early_skips) AS early_skips,
       sum(likes) AS likes, sum(strength) AS strength, min(first_ts) AS first_ts, max(last_ts) AS last_ts,
       sum(skips) AS skips, sum(ms_played) AS ms_played
FROM curated.music_interactions_daily GROUP BY user_id, track_id
