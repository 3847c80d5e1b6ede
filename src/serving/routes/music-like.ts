// POST /v1/predict/music-like: will this user like (save) this track? A user and a track in (or
// a batch of them), the probability out, from the champion of the like model. The features are
// looked up in the model's own state (as of the end of its training data, like-features.ts), the
// same code that built its training rows; the rows the model saw go to the audit log, where
// monitoring compares them with its training rows. Raw feature rows are accepted too.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LIKE_FEATURES, type LikeQuery } from '../../analytics/music/like-features.ts';
import { LIKE_MODEL_NAME } from '../../analytics/music/like-model.ts';
import type { AppContext } from '../context.ts';
import { validateRows } from '../predictor.ts';
import { InputError } from '../input-error.ts';
import { predictLikes, type LikeServable } from '../servables.ts';
import { ErrorResponse, INFERENCE_BODY_LIMIT, MAX_BATCH, badRequest, notFound, plainSerializer, tooLarge } from './common.ts';

const Id = z.string().min(1).max(128);
const Hour = z.number().int().min(0).max(23).describe('UTC hour of day the track would be played at (default: now)');
const Previous = Id.describe('the track the user played just before, in the same session (its genre feeds the genre-transition feature)');
const Pair = z.strictObject({ user_id: Id, track_id: Id, hour_of_day: Hour.optional(), previous_track_id: Previous.optional() });

export const LikeBody = z.strictObject({
  user_id: Id.optional().describe('one question: the user (with track_id)'),
  track_id: Id.optional().describe('one question: the track (with user_id)'),
  hour_of_day: Hour.optional(),
  previous_track_id: Previous.optional(),
  pairs: z.array(Pair).min(1).optional().describe(`several (user, track) questions (1..${MAX_BATCH})`),
  rows: z.array(z.record(z.string(), z.number())).min(1).optional().describe(`raw feature rows (${LIKE_FEATURES.join(', ')}), 1..${MAX_BATCH}`),
}).describe('exactly one of: user_id and track_id, pairs, rows');

export const LikeResponse = z.object({
  model: z.string(), version: z.number().int(),
  features_as_of: z.string().describe('the instant the model\'s user and track statistics were computed at'),
  predictions: z.array(z.object({
    user_id: z.string().optional(), track_id: z.string().optional(),
    probability: z.number().min(0).max(1).describe('P(the user likes the track)'),
    known_user: z.boolean().optional().describe('the user had listening history the model knows'),
    known_track: z.boolean().optional().describe('the track is in the model\'s catalogue'),
  })),
});

export const musicLikeRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const host = ctx.models!;
  for (const served of host.all().filter((s): s is LikeServable => s.type === 'like')) {
    const name = served.name;
    app.post(`/v1/predict/${name}`, {
      bodyLimit: INFERENCE_BODY_LIMIT,
      serializerCompiler: plainSerializer,
      onSend: ctx.audit?.hook(`predict/${name}`),
      preValidation: async (req, reply) => {
        const b = req.body as Record<string, unknown> | null;
        for (const k of ['pairs', 'rows']) if (Array.isArray(b?.[k]) && (b[k] as unknown[]).length > MAX_BATCH) return reply.code(413).send(tooLarge(
          k,
          (b[k] as unknown[]).length,
        ));
      },
      schema: {
        summary: name === LIKE_MODEL_NAME ? 'Will the user like this track?' : `Predict with ${name}`,
        description: `The probability that a user likes (saves) a track, from the champion of "${name}" ` +
          `(${served.kind}). Give a user and a track (optionally the hour and the track played just before), a batch of ` +
          `pairs, or raw feature rows. An unknown user or track is answered with the statistics of an unknown one (known_user / known_track false).`,
        tags: ['music'], body: LikeBody,
        response: { 200: LikeResponse, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse },
      },
    }, async (req, reply) => {
      const s = host.get(name);
      if (s?.type !== 'like') return reply.code(404).send(notFound(`model "${name}" is no longer served`, 'model'));
      const b = req.body;
      const given = (['user_id', 'pairs', 'rows'] as const).filter((k) => b[k] !== undefined);
      if (b.track_id !== undefined && b.user_id === undefined) return reply.code(400).send(badRequest('user_id', 'user_id is required with track_id'));
      if (given.length !== 1) return reply.code(400).send(badRequest('(body)', 'give exactly one of: user_id and track_id, pairs, rows'));
      const base = { model: s.name, version: s.version, features_as_of: s.model.state.asOf };
      if (b.rows) {
        try {
          validateRows(s.name, s.predictor.inputs, b.rows, false);
        } catch (e) {
          if (e instanceof InputError) return reply.code(400).send(badRequest(e.field, e.message));
          throw e;
        }
        req.inference = { model: s.name, version: s.version, rows: b.rows.length };
        const out = s.predictor.predict(b.rows);
        return { ...base, predictions: out.probabilities!.map((p) => ({ probability: p[1]! })) };
      }
      if (b.user_id !== undefined && b.track_id === undefined) return reply.code(400).send(badRequest('track_id', 'track_id is required with user_id'));
      const pairs = b.pairs ?? [{ user_id: b.user_id!, track_id: b.track_id!, hour_of_day: b.hour_of_day, previous_track_id: b.previous_track_id }];
      const hourNow = new Date().getUTCHours();
      const state = s.model.state;
      const queries: LikeQuery[] = pairs.map((p) => ({
        user_id: p.user_id, track_id: p.track_id, hour_of_day: p.hour_of_day ?? hourNow,
        prev_genre: p.previous_track_id === undefined ? null : state.genreOf(p.previous_track_id),
      }));
      const { probabilities, features } = predictLikes(s, queries);
      const d = LIKE_FEATURES.length;
      // the rows the model saw, for the audit log (monitoring's "current" sample)
      req.inference = {
        model: s.name, version: s.version, rows: queries.length,
        inputs: { columns: [...LIKE_FEATURES], rows: queries.map((_, i) => Array.from(features.subarray(i * d, (i + 1) * d))) },
      };
      return {
        ...base,
        predictions: queries.map((q, i) => ({
          user_id: q.user_id, track_id: q.track_id, probability: probabilities[i]!,
          known_user: state.knowsUser(q.user_id), known_track: state.knowsTrack(q.track_id),
        })),
      };
    });
  }
};
