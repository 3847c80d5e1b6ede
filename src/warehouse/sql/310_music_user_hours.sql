-- table: curated.music_user_hours
-- merge: user_id, hour_of_day
-- scope: user_id
-- Per user and UTC hour of day: plays and the hour's share of the user's plays (the listening
-- profile; hours without plays are absent, i.e. share 0).
SELECT user_id, hour_of_day, count(*) AS plays,
       count(*) / sum(count(*)) OVER (PARTITION BY user_id) AS share
FROM curated.plays GROUP BY user_id, hour_of_day
