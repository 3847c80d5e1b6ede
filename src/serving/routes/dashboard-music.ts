// The dashboard's music endpoints, over the music SQL models and the playlists table:
// GET /v1/dashboard/music        acceptance and hours per week over time, skip rate by genre and
//                                by hour, genre transitions, top tracks (period and country filters)
// GET /v1/dashboard/users        user search; /users/{id}: "Recommended for you" and recent listening
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DashboardData } from '../dashboard/data.ts';
import { HINTS, PeriodFilters, SearchQuery, filterKey, likePrefix } from '../dashboard/filters.ts';
import { MusicOverview, PLAYS, PLAY_TRANSITIONS, musicOverview, playsWhere } from '../dashboard/music-queries.ts';
import { ErrorResponse, notFound, plainSerializer } from './common.ts';

const PLAYLISTS = 'curated.music_playlists';
const num = z.number().nullable();

const Music = z.object({
  filters: PeriodFilters, hint: z.string().nullable(), acceptance_hint: z.string().nullable(),
  overview: MusicOverview.nullable(),
  skip_by_genre: z.array(z.object({ genre: z.string(), plays: z.number().int(), skip_rate: num })),
  skip_by_hour: z.array(z.object({ hour: z.number().int(), plays: z.number().int(), skip_rate: num })),
  transitions: z.array(z.object({ prev_genre: z.string(), genre: z.string(), plays: z.number().int(), skip_rate: num })).describe('for ' +
    'the filter: plays of a genre right after another in one listening session (curated.music_genre_transitions\' definition)'),
  top_tracks: z.array(z.object({
    track_id: z.string(),
    title: z.string().nullable(),
    artist: z.string().nullable(),
    genre: z.string().nullable(),
    plays: z.number().int(),
    skip_rate: num,
  })),
});
const UserRow = z.object({ user_id: z.string(), name: z.string().nullable(), country: z.string().nullable(), plays: z.number().int() });
const User = z.object({
  user: z.object({ user_id: z.string(), name: z.string().nullable(), age: z.number().nullable(), country: z.string().nullable(), plays: z.number().int() }),
  playlist: z.array(z.object({
    rank: z.number().int(),
    track_id: z.string(),
    title: z.string().nullable(),
    artist: z.string().nullable(),
    genre: z.string().nullable(),
    score: z.number(),
    reason: z.string(),
    cold_start: z.boolean(),
    model: z.string(),
  })),
  playlist_hint: z.string().nullable(),
  recent: z.array(z.object({
    ts: z.string(),
    track_id: z.string(),
    title: z.string().nullable(),
    artist: z.string().nullable(),
    genre: z.string().nullable(),
    ms_played: z.number().nullable(),
    skipped: z.boolean(),
    completed: z.boolean(),
  })),
});

export const dashboardMusicRoutes: FastifyPluginAsyncZod<{ data: DashboardData }> = async (app, { data }) => {
  const tags = ['dashboard'];

  app.get('/v1/dashboard/music', {
    serializerCompiler: plainSerializer,
    schema: {
      summary: 'Music: acceptance, hours, skips by genre and hour, genre transitions, top tracks',
      tags,
      querystring: PeriodFilters,
      response: { 200: Music, 400: ErrorResponse },
    },
  }, async (req) => {
    const f = req.query;
    return data.cached(`music${filterKey(f)}`, async () => {
      const overview = await musicOverview(data, f);
      if (!overview) return {
        filters: f,
        hint: HINTS.music,
        acceptance_hint: HINTS.acceptance,
        overview: null,
        skip_by_genre: [],
        skip_by_hour: [],
        transitions: [],
        top_tracks: [],
      };
      const w = playsWhere(f);
      const skip_by_genre = await data.query<z.infer<typeof Music>['skip_by_genre'][number]>(
        `SELECT coalesce(t.genre, 'unknown') AS genre, count(*) AS plays, avg(p.skipped::INT) AS skip_rate
         FROM ${PLAYS} p LEFT JOIN curated.tracks t USING (track_id) ${w.sql} GROUP BY 1 ORDER BY skip_rate DESC, genre`, w.params);
      const skip_by_hour = await data.query<z.infer<typeof Music>['skip_by_hour'][number]>(
        `SELECT p.hour_of_day AS hour, count(*) AS plays, avg(p.skipped::INT) AS skip_rate FROM ${PLAYS} p ${w.sql} GROUP BY 1 ORDER BY 1`, w.params);
      const transitions = await data.query<z.infer<typeof Music>['transitions'][number]>(
        `SELECT prev_genre, genre, count(*) AS plays, avg(p.skipped::INT) AS skip_rate FROM ${PLAY_TRANSITIONS.table} ` +
          `p ${w.sql} GROUP BY 1, 2 ORDER BY 1, 2`, w.params);
      const top_tracks = await data.query<z.infer<typeof Music>['top_tracks'][number]>(
        `SELECT p.track_id, any_value(t.title) AS title, any_value(t.artist) AS artist, any_value(t.genre) AS genre, ` +
          `count(*) AS plays, avg(p.skipped::INT) AS skip_rate
         FROM ${PLAYS} p LEFT JOIN curated.tracks t USING (track_id) ${w.sql} GROUP BY 1 ORDER BY plays DESC, track_id LIMIT 10`, w.params);
      return {
        filters: f,
        hint: null,
        acceptance_hint: overview.shown > 0 ? null : HINTS.acceptance,
        overview,
        skip_by_genre,
        skip_by_hour,
        transitions,
        top_tracks,
      };
    });
  });

  app.get('/v1/dashboard/users', {
    schema: {
      summary: 'Find listeners by id prefix',
      tags,
      querystring: SearchQuery,
      response: { 200: z.object({ users: z.array(UserRow), hint: z.string().nullable() }), 400: ErrorResponse },
    },
  }, async (req) => {
    const { q, limit } = req.query;
    if (!await data.has(PLAYS)) return { users: [], hint: HINTS.music };
    const users = await data.query<z.infer<typeof UserRow>>(
      `SELECT u.user_id, u.name, u.country, (SELECT count(*) FROM ${PLAYS} p WHERE p.user_id = u.user_id) AS plays
       FROM curated.users u WHERE u.user_id LIKE $q ESCAPE '\\' ORDER BY u.user_id LIMIT $limit`, { q: likePrefix(q), limit });
    return { users, hint: null };
  });

  app.get('/v1/dashboard/users/:id', {
    schema: {
      summary: 'A listener: "Recommended for you" with reasons, recent listening', tags,
      params: z.object({ id: z.string().min(1).max(64) }), response: { 200: User, 400: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req, reply) => {
    const { id } = req.params;
    if (!await data.has(PLAYS)) return reply.code(404).send(notFound(`unknown user ${JSON.stringify(id)}: ${HINTS.music}`, 'id'));
    const [user] = await data.query<z.infer<typeof User>['user']>(
      `SELECT u.user_id, u.name, u.age, u.country, (SELECT count(*) FROM ${PLAYS} p WHERE p.user_id = u.user_id) AS ` +
        `plays FROM curated.users u WHERE u.user_id = $id`, { id });
    if (!user) return reply.code(404).send(notFound(`unknown user ${JSON.stringify(id)}`, 'id'));
    const hasPlaylists = await data.has(PLAYLISTS);
    const playlist = hasPlaylists
      ? await data.query<z.infer<typeof User>['playlist'][number]>(
        `SELECT rank, track_id, title, artist, genre, score, reason, cold_start, model FROM ${PLAYLISTS} WHERE user_id = $id ORDER BY rank`, { id })
      : [];
    const recent = await data.query<z.infer<typeof User>['recent'][number]>(
      `SELECT strftime(p.ts, '%Y-%m-%dT%H:%M:%SZ') AS ts, p.track_id, t.title, t.artist, t.genre, p.ms_played, p.skipped, p.completed
       FROM ${PLAYS} p LEFT JOIN curated.tracks t USING (track_id) WHERE p.user_id = $id ORDER BY p.ts DESC, p.event_id LIMIT 20`, { id });
    return { user, playlist, playlist_hint: hasPlaylists ? null : HINTS.playlists, recent };
  });
};
