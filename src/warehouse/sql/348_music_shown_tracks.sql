-- table: curated.music_shown_tracks
-- Recommendation acceptance, defined once: one row per track shown in a "Recommended for you"
-- playlist (raw.recommendation_shown, deduplicated on event_id), accepted when the same user
-- played that track to completion (curated.plays.completed: at least 90% heard) or liked it
-- within 7 days after it was shown. Every acceptance figure (daily, overall, per A/B arm, the
-- monitor's live quality) aggregates these rows. experiment_id and arm name the A/B experiment
-- the user was in when shown (NULL outside experiments).
WITH shown AS (
  SELECT event_id, ts, user_id, unnest(track_ids) AS track_id, unnest(range(1, len(track_ids) + 1)) AS rank, model_version,
         experiment_id, arm
  FROM raw.recommendation_shown QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
)
SELECT s.event_id, s.ts, CAST(s.ts AS DATE) AS day, s.user_id, s.track_id, s.rank, s.model_version, s.experiment_id, s.arm,
       EXISTS (SELECT 1 FROM curated.plays p WHERE p.user_id = s.user_id AND p.track_id = s.track_id AND p.completed
                 AND p.ts >= s.ts AND p.ts < s.ts + INTERVAL 7 DAY)
       OR EXISTS (SELECT 1 FROM curated.likes l WHERE l.user_id = s.user_id AND l.track_id = s.track_id
                 AND l.ts >= s.ts AND l.ts < s.ts + INTERVAL 7 DAY) AS accepted
FROM shown s
