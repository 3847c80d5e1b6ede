// GET /v1/recommendations/{userId}?n=10: the user's "Recommended for you" playlist (tracks the
// user has never played, best first, each with the reason it was picked), from the champion of
// the music recommender. Each answer is logged as a recommendation_shown event through the
// lake's write-ahead log, the collector's durable path, so acceptance can be measured.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventTable } from '../../events/lake-schema.ts';
import { assignArm, runningExperiment, type Arm, type Experiment } from '../../monitoring/experiments.ts';
import type { AppContext } from '../context.ts';
import type { RecommenderServable } from '../servables.ts';
import { ErrorResponse, notFound, plainSerializer } from './common.ts';

/** The recommender served: this name when registered, else the first recommender in the registry. */
export const RECOMMENDER_MODEL = 'music-recommender';

const Track = z.object({
  rank: z.number().int(), track_id: z.string(), title: z.string(), artist: z.string(), genre: z.string(), score: z.number(),
  reason: z.string().describe('why it was picked, e.g. "because you liked X"'),
  demoted: z.boolean().describe('its genre is one the user keeps skipping: only used to fill the list'),
});
const RecommendationsResponse = z.object({
  model: z.string(), version: z.number().int(), user_id: z.string(),
  cold_start: z.boolean().describe('the user has no history the model knows: popular tracks instead'),
  tracks: z.array(Track),
  experiment_id: z.string().optional().describe('the A/B experiment this user is in, when one runs on the model'),
  arm: z.enum(['a', 'b']).optional().describe("the user's arm: a deterministic hash of experiment and user"),
});

/** How long the running experiment of the model is cached between metadata reads. */
const EXPERIMENT_TTL_MS = 1000;

export function recommenderOf(ctx: AppContext): RecommenderServable | undefined {
  const host = ctx.models!;
  const named = host.get(RECOMMENDER_MODEL);
  if (named?.type === 'recommender') return named;
  return host.all().find((s): s is RecommenderServable => s.type === 'recommender');
}

export const recommendationRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const first = recommenderOf(ctx);
  if (!first) return;
  const name = first.name;
  const current = (): RecommenderServable | undefined => { const s = ctx.models!.get(name); return s?.type === 'recommender' ? s : undefined; };
  let experiment: { at: number; value: Promise<Experiment | undefined> } | undefined;
  const running = (): Promise<Experiment | undefined> => {
    if (!experiment || Date.now() - experiment.at > EXPERIMENT_TTL_MS) {
      experiment = { at: Date.now(), value: runningExperiment(ctx.store, name).catch(() => undefined) };
    }
    return experiment.value;
  };
  /** the servable for this user: the experiment arm's version while one runs, else the champion */
  const servableFor = async (userId: string): Promise<{ s: RecommenderServable | undefined; exp?: { id: string; arm: Arm } }> => {
    const exp = await running();
    if (!exp) return { s: current() };
    const arm = assignArm(exp.id, userId, exp.split);
    const s = await ctx.models!.version(name, exp.arms[arm]).catch(() => undefined);
    return { s: s?.type === 'recommender' ? s : current(), exp: { id: exp.id, arm } };
  };
  app.get('/v1/recommendations/:userId', {
    serializerCompiler: plainSerializer,
    onSend: ctx.audit?.hook('recommendations'),
    schema: {
      summary: 'Recommended for you', tags: ['music'],
      description: `Up to n tracks the user has never played, best first, with the reason for each (at most two per ` +
        `artist; genres the user keeps skipping only fill the end). A listener the model does not know gets popular ` +
        `tracks with cold_start true. Model: the champion of "${name}". Logged as a recommendation_shown event.`,
      params: z.object({ userId: z.string().min(1).max(128) }),
      querystring: z.object({
        n: z.coerce.number().int().min(1).max(100).default(10).describe('playlist length'),
        at: z.iso.datetime({ offset: true }).optional().describe("when the playlist is shown, by the client's clock " +
          "(default now): the recommendation_shown event's ts"),
      }),
      response: { 200: RecommendationsResponse, 400: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req, reply) => {
    const { userId } = req.params;
    const { s, exp } = await servableFor(userId);
    if (!s) return reply.code(404).send(notFound(`model "${name}" is no longer served`, 'model'));
    // a new listener (no history the model knows) gets the cold-start playlist, flagged
    const { cold_start, tracks } = s.recommend(userId, req.query.n);
    req.inference = { model: s.name, version: s.version, ...(exp ? { experiment_id: exp.id, arm: exp.arm } : {}) };
    if (tracks.length) {
      const ts = req.query.at ? new Date(req.query.at).toISOString() : new Date().toISOString();
      const event = {
        event_id: randomUUID(), type: 'recommendation_shown', ts, user_id: userId, track_ids: tracks.map((t) => t.track_id),
        model_version: `${s.name}@v${s.version}`,
        ...(exp ? { experiment_id: exp.id, arm: exp.arm } : {}),
      };
      // gathered with the audit records and appended through the write-ahead log within a few
      // milliseconds; the playlist does not wait for the disk (see audit.ts)
      const record = { table: eventTable('recommendation_shown'), dt: ts.slice(0, 10), json: JSON.stringify(event) };
      if (ctx.audit) ctx.audit.append(record);
      else ctx.lake.append([record]).catch((e: Error) => req.log.error(`recommendation_shown: append failed: ${e.message}`));
    }
    return { model: s.name, version: s.version, user_id: userId, cold_start, tracks, ...(exp ? { experiment_id: exp.id, arm: exp.arm } : {}) };
  });
};
