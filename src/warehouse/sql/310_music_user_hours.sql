-- table: curated.music_user_hours
-- merge: user_id, hour_of_day
-- scope: user_id
-- delta: sum(plays) in g
-- Per user and UTC hour of day: plays and the hour's share of the user's plays (the listening
-- profile; hours without plays are absent, i.e. share 0).
-- g counts plays (additive: an incremental build adds the new plays' counts to the stored ones,
-- src/warehouse/incremental/by-delta.ts); the shares are derived per touched user from g.
WITH g AS (
  SELECT user_id, hour_of_day, count(*) AS plays FROM curated.plays GROUP BY user_id, hour_of_day
)
SELECT user_id, hour_of_day, plays, plays / sum(plays) OVER (PARTITION BY user_id) AS share
FROM g
