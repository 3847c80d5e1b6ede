-- table: curated.music_acceptance_daily
-- Recommendation acceptance per day shown: of the tracks shown to a user (raw.recommendation_shown,
-- deduplicated on event_id), the share the user played to completion or liked within 7 days after.
WITH shown AS (
  SELECT event_id, ts, user_id, unnest(track_ids) AS track_id, model_version
  FROM raw.recommendation_shown QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
), accepted AS (
  SELECT s.event_id, s.ts, s.user_id, s.track_id, s.model_version,
         EXISTS (SELECT 1 FROM curated.plays p WHERE p.user_id = s.user_id AND p.track_id = s.track_id AND p.completed
                   AND p.ts >= s.ts AND p.ts < s.ts + INTERVAL 7 DAY)
         OR EXISTS (SELECT 1 FROM curated.likes l WHERE l.user_id = s.user_id AND l.track_id = s.track_id
                   AND l.ts >= s.ts AND l.ts < s.ts + INTERVAL 7 DAY) AS accepted
  FROM shown s
)
SELECT CAST(ts AS DATE) AS day, count(*) AS shown, sum(accepted::INT) AS accepted, avg(accepted::INT) AS acceptance_rate,
       count(DISTINCT user_id) AS users, count(DISTINCT event_id) AS impressions
FROM accepted GROUP BY 1
