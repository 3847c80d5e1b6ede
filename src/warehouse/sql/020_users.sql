-- table: curated.users
-- merge: user_id
-- existence: raw.play, raw.skip, raw.like, raw.search
-- The user dimension: imported profiles (latest per user) plus users only seen in events.
WITH profiles AS (
  SELECT * FROM raw.users QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY user_id) = 1
), seen AS (
  SELECT user_id FROM raw.play UNION SELECT user_id FROM raw.skip UNION SELECT user_id FROM raw.like
  UNION SELECT user_id FROM raw.search
)
SELECT coalesce(p.user_id, s.user_id) AS user_id, p.name, p.age, p.country, p.signup_date,
       p.user_id IS NULL AS unknown_profile
FROM profiles p FULL OUTER JOIN seen s ON s.user_id = p.user_id
