-- table: curated.music_acceptance_daily
-- Recommendation acceptance per day shown: of the tracks shown to users
-- (curated.music_shown_tracks, where acceptance is defined), the share accepted.
SELECT day, count(*) AS shown, sum(accepted::INT) AS accepted, avg(accepted::INT) AS acceptance_rate,
       count(DISTINCT user_id) AS users, count(DISTINCT event_id) AS impressions
FROM curated.music_shown_tracks GROUP BY 1
