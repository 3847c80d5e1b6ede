// Reading the music feature tables (src/warehouse/sql/3*.sql) into the shapes the recommenders
// and the like model need: interaction triples, a per-user time split for offline evaluation,
// the track catalogue, users' genre skip profiles, and point-in-time versions of the SQL models
// (the same SQL over the events before a cutoff, so training features never see the future).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Triples } from '../../ml/recsys/interactions.ts';
import { SQL_DIR } from '../../warehouse/models.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { sqlString } from '../../lake/duck.ts';

/** The SQL models of the music use case, in build order. */
export const MUSIC_MODELS = [
  'curated.music_user_hours', 'curated.music_genre_transitions_daily', 'curated.music_genre_transitions', 'curated.music_interactions_daily',
  'curated.music_interactions', 'curated.music_track_stats', 'curated.music_user_genres', 'curated.music_shown_tracks',
  'curated.music_acceptance_daily', 'curated.music_acceptance',
];

/** The SQL models acceptance depends on (rebuilt after new plays, likes or playlists shown). */
export const ACCEPTANCE_MODELS = [
  'curated.plays',
  'curated.skips',
  'curated.likes',
  'curated.music_shown_tracks',
  'curated.music_acceptance_daily',
  'curated.music_acceptance',
];

export interface InteractionRows extends Triples {
  users: string[];
  items: string[];
  weights: Float64Array;
}

function toTriples(rows: { user_id: string; track_id: string; strength: number }[]): InteractionRows {
  return {
    users: rows.map((r) => r.user_id), items: rows.map((r) => r.track_id),
    weights: Float64Array.from(rows, (r) => Number(r.strength)),
  };
}

/** Every (user, track) pair heard, with its strength (negative for tracks the user skips early). */
export async function loadInteractions(wh: Warehouse): Promise<InteractionRows> {
  return toTriples(await wh.query(`SELECT user_id, track_id, strength::DOUBLE AS strength FROM curated.music_interactions ORDER BY user_id, track_id`));
}

/** The pairs with strength > 0: what the recommenders train on. */
export function positives(rows: InteractionRows): InteractionRows {
  const keep: number[] = [];
  for (let r = 0; r < rows.users.length; r++) if (rows.weights[r]! > 0) keep.push(r);
  return { users: keep.map((r) => rows.users[r]!), items: keep.map((r) => rows.items[r]!), weights: Float64Array.from(keep, (r) => rows.weights[r]!) };
}

export interface LakeSplit {
  /** positive pairs before each user's cutoff day */
  train: InteractionRows;
  /** every pair heard before the cutoff (strength may be <= 0) */
  trainHeard: InteractionRows;
  /** pairs first heard on or after the user's cutoff day with positive strength there */
  test: InteractionRows;
  users: number;
}

/**
 * Per-user time split over the daily interaction strengths: each user's cutoff is the day at
 * quantile 1 - testFraction of their active (user, track, day) rows; days before it train, the
 * rest test. Test pairs are new to the user (never heard before the cutoff), as a playlist's are.
 */
export async function lakeTimeSplit(wh: Warehouse, opts: { testFraction?: number } = {}): Promise<LakeSplit> {
  const q = 1 - (opts.testFraction ?? 0.2);
  await wh.conn.run(`CREATE OR REPLACE TEMP TABLE music_split AS
    WITH c AS (SELECT user_id, quantile_disc(day, ${q}) AS cutoff FROM curated.music_interactions_daily GROUP BY user_id)
    SELECT d.user_id, d.track_id, d.day < c.cutoff AS is_train, d.strength
    FROM curated.music_interactions_daily d JOIN c USING (user_id)`);
  try {
    const heard = await wh.query<{ user_id: string; track_id: string; strength: number }>(
      `SELECT user_id, track_id, sum(strength)::DOUBLE AS strength FROM music_split WHERE is_train GROUP BY 1, 2 ORDER BY 1, 2`);
    const test = await wh.query<{ user_id: string; track_id: string; strength: number }>(
      `SELECT user_id, track_id, sum(strength)::DOUBLE AS strength FROM music_split s WHERE NOT is_train
         AND NOT EXISTS (SELECT 1 FROM music_split t WHERE t.is_train AND t.user_id = s.user_id AND t.track_id = s.track_id)
       GROUP BY 1, 2 HAVING sum(strength) > 0 ORDER BY 1, 2`);
    const [u] = await wh.query<{ n: number }>(`SELECT count(DISTINCT user_id)::INT AS n FROM music_split`);
    const trainHeard = toTriples(heard);
    return { train: positives(trainHeard), trainHeard, test: toTriples(test), users: u?.n ?? 0 };
  } finally {
    await wh.conn.run('DROP TABLE IF EXISTS music_split');
  }
}

export interface TrackInfo { track_id: string; title: string; artist: string; genre: string; plays: number; skip_rate: number | null }

/** The catalogue with each track's play statistics. */
export async function loadTracks(wh: Warehouse): Promise<TrackInfo[]> {
  return wh.query<TrackInfo>(`SELECT t.track_id, coalesce(t.title, t.track_id) AS title, coalesce(t.artist, t.artist_id, '?') AS artist,
      coalesce(t.genre, 'unknown') AS genre, coalesce(s.plays, 0)::INT AS plays, s.skip_rate::DOUBLE AS skip_rate
    FROM curated.tracks t LEFT JOIN curated.music_track_stats s USING (track_id) ORDER BY t.track_id`);
}

export interface GenreSkips { user_id: string; genre: string; plays: number; skips: number; skip_rate: number | null }

export async function loadUserGenreSkips(wh: Warehouse): Promise<GenreSkips[]> {
  return wh.query<GenreSkips>(`SELECT user_id, genre, plays::INT AS plays, skips::INT AS skips, skip_rate::DOUBLE AS skip_rate
    FROM curated.music_user_genres WHERE plays > 0 ORDER BY user_id, genre`);
}

/**
 * A SQL model as it would have been built at `cutoff`: its SQL run over plays and likes
 * strictly before that instant (curated.plays / curated.likes are replaced by filtered
 * subqueries). One definition of each feature serves the warehouse and point-in-time training.
 */
export function modelSqlAsOf(table: string, cutoff: string): string {
  const file = MUSIC_MODEL_FILES[table];
  if (!file) throw new Error(`no music SQL model for ${table}`);
  // comment lines dropped: a model named in a comment must not be replaced by a query there
  const sql = readFileSync(join(SQL_DIR, file), 'utf8').replace(/;\s*$/, '').split('\n').filter((l) => !l.trimStart().startsWith('--')).join('\n');
  const ts = `TIMESTAMPTZ ${sqlString(cutoff)}`;
  let asOf = sql
    .replace(/\bcurated\.plays\b/g, `(SELECT * FROM curated.plays WHERE ts < ${ts})`)
    .replace(/\bcurated\.likes\b/g, `(SELECT * FROM curated.likes WHERE ts < ${ts})`);
  // a model over another music model (the all-time transitions over the daily ones) reads that
  // model as of the cutoff too
  for (const other of Object.keys(MUSIC_MODEL_FILES)) {
    if (other === table) continue;
    const ref = new RegExp(`\\b${other.replace('.', '\\.')}\\b`, 'g');
    if (ref.test(asOf)) asOf = asOf.replace(ref, `(${modelSqlAsOf(other, cutoff)})`);
  }
  return asOf;
}

const MUSIC_MODEL_FILES: Record<string, string> = {
  'curated.music_track_stats': '346_music_track_stats.sql',
  'curated.music_user_hours': '310_music_user_hours.sql',
  'curated.music_user_genres': '347_music_user_genres.sql',
  'curated.music_genre_transitions_daily': '330_music_genre_transitions_daily.sql',
  'curated.music_genre_transitions': '335_music_genre_transitions.sql',
  'curated.music_interactions_daily': '340_music_interactions_daily.sql',
  'curated.music_interactions': '345_music_interactions.sql',
};
