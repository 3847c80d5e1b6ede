-- table: curated.music_genre_transitions
-- Genre sequences over all time (the sum of curated.music_genre_transitions_daily): for each
-- pair of consecutive genres in a listening session, how often the second track was played,
-- skipped and completed, e.g. rock then a skipped jazz track. An aggregate of a small table:
-- rebuilt whenever a day changes.
SELECT prev_genre, genre, sum(plays)::BIGINT AS plays, sum(skips) AS skips, sum(completions) AS completions,
       sum(skips) / sum(plays) AS skip_rate, sum(completions) / sum(plays) AS completion_rate
FROM curated.music_genre_transitions_daily
GROUP BY prev_genre, genre
