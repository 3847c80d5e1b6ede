-- table: curated.plays
-- merge: event_id
-- scope: day
-- partition: day
-- lookahead: 1 raw.skip
-- reach: ts + to_milliseconds(coalesce(duration_ms, 600000))
-- within: user_id, track_id
-- One row per distinct play (deduplicated on event_id, so a replay never double counts), with
-- the track's duration, hour of day, and whether it was completed or skipped. A play counts as
-- skipped when a skip event names the same user and track within the play's span, or, lacking
-- one, when less than half the track (30 s when the duration is unknown) was heard.
-- So a play may be ended by a skip of the next day (lookahead: raw.skip, one day on), at the
-- latest at its span's end (reach); a skip never adds nor removes a play. A play depends only on
-- the plays and skips of its user and track (within; the copies of an event share them).
WITH p AS (
  SELECT * FROM raw.play QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
), s AS (
  SELECT DISTINCT user_id, track_id, ts FROM raw.skip
)
SELECT p.event_id, p.ts, CAST(p.ts AS DATE) AS day, hour(p.ts) AS hour_of_day, p.user_id, p.track_id,
       p.ms_played, coalesce(p.duration_ms, t.duration_ms) AS duration_ms, p.context,
       coalesce(p.ms_played >= 0.9 * coalesce(p.duration_ms, t.duration_ms), false) AS completed,
       (EXISTS (SELECT 1 FROM s WHERE s.user_id = p.user_id AND s.track_id = p.track_id
                  AND s.ts BETWEEN p.ts AND p.ts + to_milliseconds(coalesce(p.duration_ms, t.duration_ms, 600000))))
         OR p.ms_played < coalesce(0.5 * coalesce(p.duration_ms, t.duration_ms), 30000) AS skipped
FROM p LEFT JOIN curated.tracks t ON t.track_id = p.track_id
