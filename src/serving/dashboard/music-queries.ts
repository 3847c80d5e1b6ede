// The music KPIs of the overview (plays, hours listened per week, skip rate, recommendation
// acceptance rate) and their weekly trend, over curated.plays and curated.music_shown_tracks (where
// acceptance is defined, one row per track shown). The period filter applies to both; the country
// filter to the listeners (curated.users).
import type { DuckDBValue } from '@duckdb/node-api';
import { z } from 'zod';
import type { DashboardData, DerivedTable } from './data.ts';
import { periodConds, type PeriodFilters } from './filters.ts';

export const PLAYS = 'curated.plays';
export const SHOWN = 'curated.music_shown_tracks';

/**
 * Every play that follows another of the same listener within 30 minutes (one session, cut at
 * midnight UTC), with the previous track's genre: curated.music_genre_transitions_daily's rows
 * before they are counted, with the listener kept, so the transitions can be counted for any
 * period and country (the SQL model: 330_music_genre_transitions_daily.sql).
 */
export const PLAY_TRANSITIONS: DerivedTable = {
  table: 'dash.play_transitions',
  from: [PLAYS, 'curated.tracks'],
  sql: (has) => has('curated.tracks') ? `WITH seq AS (
      SELECT p.user_id, p.day, p.ts, p.skipped, t.genre, lag(t.genre) OVER w AS prev_genre, lag(p.ts) OVER w AS prev_ts
      FROM ${PLAYS} p JOIN curated.tracks t USING (track_id)
      WINDOW w AS (PARTITION BY p.user_id, p.day ORDER BY p.ts, p.event_id))
    SELECT user_id, day, prev_genre, genre, skipped FROM seq
    WHERE prev_genre IS NOT NULL AND genre IS NOT NULL AND ts - prev_ts <= INTERVAL 30 MINUTE`
  : 'SELECT NULL::VARCHAR AS user_id, NULL::DATE AS day, NULL::VARCHAR AS prev_genre, NULL::VARCHAR AS genre, NULL::BOOLEAN AS skipped WHERE false',
};

const num = z.number().nullable();
export const MusicOverview = z.object({
  plays: z.number().int(), listeners: z.number().int(), hours: z.number(),
  hours_per_week: num.describe('hours listened per week (total hours over the weeks of the period with plays)'),
  skip_rate: num, acceptance_rate: num.describe('share of recommended tracks played to completion or liked within 7 days'),
  shown: z.number().int(),
  trend: z.array(z.object({ week: z.string(), plays: z.number().int(), hours: z.number(), skip_rate: num, shown: z.number().int(), acceptance_rate: num })),
});
export type MusicOverview = z.infer<typeof MusicOverview>;

/** The plays' conditions of a filter (alias `p`): period on the day, country of the listener. */
export function playsWhere(f: PeriodFilters): { sql: string; params: Record<string, DuckDBValue> } {
  const conds: string[] = [], params: Record<string, DuckDBValue> = {};
  periodConds(f, 'p.day', conds, params);
  if (f.country !== undefined) { conds.push('p.user_id IN (SELECT user_id FROM curated.users WHERE country = $country)'); params.country = f.country; }
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

export async function musicOverview(data: DashboardData, f: PeriodFilters): Promise<MusicOverview | null> {
  if (!await data.has(PLAYS)) return null;
  const w = playsWhere({ from: f.from, to: f.to, country: f.country });
  const weekly = await data.query<{ week: string; plays: number; hours: number; skip_rate: number | null; listeners: number }>(
    `SELECT strftime(date_trunc('week', p.day), '%Y-%m-%d') AS week, count(*) AS plays, coalesce(sum(p.ms_played), 0) / 3.6e6 AS hours,
            avg(p.skipped::INT) AS skip_rate FROM ${PLAYS} p ${w.sql} GROUP BY 1 ORDER BY 1`, w.params);
  const [tot] = await data.query<{ plays: number; listeners: number; hours: number; skip_rate: number | null }>(
    `SELECT count(*) AS plays, count(DISTINCT p.user_id) AS listeners, coalesce(sum(p.ms_played), 0) / 3.6e6 AS hours, avg(p.skipped::INT) AS skip_rate
     FROM ${PLAYS} p ${w.sql}`, w.params);
  const accept = new Map<string, { shown: number; accepted: number }>();
  if (await data.has(SHOWN)) {
    const conds: string[] = [], params: Record<string, DuckDBValue> = {};
    periodConds(f, 's.day', conds, params);
    if (f.country !== undefined) { conds.push('s.user_id IN (SELECT user_id FROM curated.users WHERE country = $country)'); params.country = f.country; }
    const rows = await data.query<{ week: string; shown: number; accepted: number }>(
      `SELECT strftime(date_trunc('week', s.day), '%Y-%m-%d') AS week, count(*) AS shown, count(*) FILTER (WHERE s.accepted) AS accepted
       FROM ${SHOWN} s ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} GROUP BY 1 ORDER BY 1`, params);
    for (const r of rows) accept.set(r.week, r);
  }
  const weeks = [...new Set([...weekly.map((r) => r.week), ...accept.keys()])].sort();
  const byWeek = new Map(weekly.map((r) => [r.week, r]));
  let shown = 0, accepted = 0;
  for (const a of accept.values()) { shown += a.shown; accepted += a.accepted; }
  return {
    plays: tot?.plays ?? 0, listeners: tot?.listeners ?? 0, hours: tot?.hours ?? 0,
    hours_per_week: weekly.length ? (tot?.hours ?? 0) / weekly.length : null,
    skip_rate: tot?.skip_rate ?? null, acceptance_rate: shown > 0 ? accepted / shown : null, shown,
    trend: weeks.map((week) => {
      const p = byWeek.get(week), a = accept.get(week);
      return {
        week,
        plays: p?.plays ?? 0,
        hours: p?.hours ?? 0,
        skip_rate: p?.skip_rate ?? null,
        shown: a?.shown ?? 0,
        acceptance_rate: a && a.shown > 0 ? a.accepted / a.shown : null,
      };
    }),
  };
}
