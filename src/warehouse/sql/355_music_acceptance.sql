-- table: curated.music_acceptance
-- Recommendation acceptance overall (one row): the share of shown tracks played to completion
-- or liked within 7 days, summed over the daily model (NULL rate before anything was shown).
SELECT coalesce(sum(shown), 0) AS shown, coalesce(sum(accepted), 0) AS accepted,
       CASE WHEN sum(shown) > 0 THEN sum(accepted) / sum(shown) END AS acceptance_rate,
       min(day) AS first_day, max(day) AS last_day
FROM curated.music_acceptance_daily
