// The music recommender as one pipeline over a workspace: features (the music SQL models) →
// offline evaluation on a per-user time split of the lake data (every recommender against
// popularity, hyper-parameters tuned on a validation split of the training part only) → the
// final model (the kind with the best validation NDCG@10, refitted on everything) → the like
// model → "Recommended for you" for every user, stored as a lake table and logged as
// recommendation_shown events through the lake's durable append → tracking and registry.
import { randomUUID } from 'node:crypto';
import { RecommendationShownEvent } from '../events/schemas.ts';
import type { Lake } from '../lake/lake.ts';
import type { MetaStore } from '../metadata/db.ts';
import type { Config } from '../config/index.ts';
import { evaluateModels, type EvaluationRow } from '../ml/recsys/evaluate.ts';
import { Interactions } from '../ml/recsys/interactions.ts';
import { createRecommender, RECOMMENDER_KINDS, type RecommenderKind } from '../ml/recsys/registry.ts';
import { ModelRegistry, Tracker, type Run } from '../tracking/index.ts';
import { runPipeline, type PipelineResult, type Step } from './runner.ts';
import type { PipelineDefinition } from './execute.ts';
import { buildModels } from '../warehouse/models.ts';
import type { Warehouse } from '../warehouse/session.ts';
import { writeLakeTable } from '../warehouse/lake-rows.ts';
import { MUSIC_MODELS, lakeTimeSplit, loadInteractions, positives } from '../analytics/music/features.ts';
import { fitLikeModel, type LikeModelResult } from '../analytics/music/likes.ts';
import { PlaylistModel, type Playlist } from '../analytics/music/playlist.ts';
import { buildPlaylistModel } from '../analytics/music/playlist-build.ts';
import { likeSnapshots, registerLikeModel } from '../analytics/music/like-retrain.ts';
import { LIKE_MODEL_NAME } from '../analytics/music/like-model.ts';

export const PLAYLISTS_TABLE = 'curated.music_playlists';
export const MODEL_NAME = 'music-recommender';

/** What the pipeline needs: a Workspace, or the demo's server context plus a warehouse. */
export interface MusicWorkspace { config: Config; store: MetaStore; lake: Lake; wh: Warehouse }

export interface MusicOptions {
  models?: RecommenderKind[];
  /** tune each model on a validation split carved from the training part (default true) */
  tune?: boolean;
  testFraction?: number;
  playlistLength?: number;
  seed?: number;
  /** record a run and register the model (default true) */
  track?: boolean;
  /** build the music SQL models first (default true) */
  build?: boolean;
  log?: (line: string) => void;
}

export interface LakeEvaluation {
  split: { users: number; train_pairs: number; test_pairs: number; test_users: number };
  rows: EvaluationRow[];
  /** tuning ran on a seeded sample of the training users (null: on all of them, or not tuned) */
  tuning_sample: { users: number; of: number } | null;
}

/**
 * Tuning's budget: the grid (about 45 fits over the four kinds) runs on a seeded sample of at
 * most this many training users, so its cost stays fixed as the users grow; the chosen point is
 * then fitted and tested on all of them. Above the demo's 1,000 users, so the demo tunes on all.
 */
export const MUSIC_TUNE_USERS = 2000;

/** Every recommender on the per-user time split of the lake's interaction strengths. */
export async function evaluateOnLake(
  wh: Warehouse,
  opts: {
    models?: RecommenderKind[];
    tune?: boolean;
    testFraction?: number;
    seed?: number;
    params?: Partial<Record<RecommenderKind, Record<string, unknown>>>;
    /** tune on a sample of at most this many training users (default MUSIC_TUNE_USERS) */
    tuneUsers?: number;
    onRow?: (r: EvaluationRow) => void;
  } = {},
): Promise<LakeEvaluation> {
  const split = await lakeTimeSplit(wh, { testFraction: opts.testFraction });
  if (split.train.users.length === 0 || split.test.users.length === 0) {
    throw new Error('evaluate --lake: the time split left no training or no test pairs (is curated.music_interactions_daily built?)');
  }
  const rows = await evaluateModels(split.train, split.test, {
    models: opts.models ?? [...RECOMMENDER_KINDS], tune: opts.tune, seed: opts.seed, onRow: opts.onRow,
    params: { als: { seed: opts.seed ?? 0 }, ...opts.params }, tuneUsers: opts.tuneUsers ?? MUSIC_TUNE_USERS,
  });
  return {
    split: { users: split.users, train_pairs: split.train.users.length, test_pairs: split.test.users.length, test_users: new Set(split.test.users).size },
    rows, tuning_sample: rows.find((r) => r.tuningSample)?.tuningSample ?? null,
  };
}

export interface MusicSummary {
  evaluation: LakeEvaluation;
  chosen: { model: RecommenderKind; params: Record<string, unknown>; validation_ndcg10: number | null };
  /** best test NDCG@10 over popularity's */
  lift_over_popularity: number;
  likes: Omit<LikeModelResult, 'model' | 'holdout'>;
  playlists: { users: number; cold_start: number; tracks: number; table: string; snapshot: number; events: number };
  model: PlaylistModel;
  samples: Playlist[];
  tracking: { run_id: string; model: string; version: number; like: { model: string; version: number; champion: boolean } } | { skipped: string };
  /** the runner's record of the steps (time, rows, peak memory) */
  pipeline: PipelineResult;
}

interface MusicCtx {
  evaluation?: LakeEvaluation;
  best?: EvaluationRow;
  model?: PlaylistModel;
  likes?: LikeModelResult;
  tracking?: MusicSummary['tracking'];
  playlists?: MusicSummary['playlists'];
}

/** The music pipeline's steps on the runner (features, evaluate, fit, like-model, register, playlists). */
export function musicSteps(ws: MusicWorkspace, opts: MusicOptions, run: Run | undefined): Step<MusicCtx>[] {
  const seed = opts.seed ?? 0;
  const wh = ws.wh;
  const steps: Step<MusicCtx>[] = [];
  if (opts.build ?? true) {
    steps.push({ name: 'features', inputs: ['curated.plays', 'curated.likes', 'curated.skips', 'curated.tracks'], outputs: MUSIC_MODELS, durable: false,
      run: async () => ({ rows: (await buildModels(wh, { only: MUSIC_MODELS })).reduce((a, m) => a + (m.rows ?? 0), 0) }) });
  }
  steps.push(
    {
      name: 'evaluate', inputs: ['curated.music_interactions_daily'],
      async run(c) {
        c.evaluation = await evaluateOnLake(wh, { models: opts.models, tune: opts.tune ?? true, testFraction: opts.testFraction, seed });
        // the final model is chosen on validation (never on the test part), popularity excluded
        const candidates = c.evaluation.rows.filter((r) => r.model !== 'popularity');
        c.best = candidates.length ? candidates.reduce((a, b) => (validationNdcg(b) > validationNdcg(a) ? b : a)) : c.evaluation.rows[0]!;
        return {
          rows: c.evaluation.split.train_pairs + c.evaluation.split.test_pairs,
          note: `chosen ${c.best.model}` + (c.evaluation.tuning_sample
            ? `, tuned on ${c.evaluation.tuning_sample.users} of ${c.evaluation.tuning_sample.of} training users` : ''),
          metrics: Object.fromEntries(c.evaluation.rows.map((r) => [`${r.model}_ndcg10`, r.ndcg10])),
        };
      },
    },
    {
      name: 'fit', inputs: ['curated.music_interactions', 'curated.tracks', 'curated.music_user_genres'],
      async run(c) {
        const heard = await loadInteractions(wh);
        const rec = await createRecommender(c.best!.model, c.best!.params).fit(Interactions.fromTriples(positives(heard)));
        c.model = await buildPlaylistModel(wh, rec, heard, opts.playlistLength ? { n: opts.playlistLength } : {}, MODEL_NAME);
        return { rows: heard.users.length, note: c.best!.model };
      },
    },
    {
      name: 'like-model', inputs: ['curated.likes', 'curated.music_interactions'],
      async run(c) {
        c.likes = await fitLikeModel(wh, { seed, als: c.best!.model === 'als' ? c.best!.params : {} });
        return { note: `AUC ${c.likes.auc.toFixed(3)}`, metrics: { like_auc: c.likes.auc, like_log_loss: c.likes.log_loss } };
      },
    },
    {
      name: 'register',
      async run(c) {
        if (!run) { c.tracking = { skipped: 'tracking disabled' }; return { note: 'tracking disabled' }; }
        const { evaluation, best, likes, model } = c as Required<MusicCtx>;
        const pop = evaluation.rows.find((r) => r.model === 'popularity');
        await run.logMetrics({
          ...Object.fromEntries(evaluation.rows.flatMap((r) => [[`${r.model}_ndcg10`, r.ndcg10], [`${r.model}_recall20`, r.recall20]])),
          like_log_loss: likes.log_loss, like_auc: likes.auc, like_auc_als_only: likes.auc_als_only,
        });
        const snapshots = ['raw.play', 'raw.like', 'raw.skip', 'curated.music_interactions', 'curated.music_user_genres']
          .filter((t) => wh.snapshots.has(t)).map((t) => ({ table: t, snapshot: wh.snapshots.get(t)! }));
        const registry = new ModelRegistry(ws.store, { home: ws.config.home });
        const reg = await registry.registerModel(MODEL_NAME, {
          artifact: model.toJSON(),
          metrics: { ndcg10: best.ndcg10, recall20: best.recall20, popularity_ndcg10: pop?.ndcg10 ?? 0, like_auc: likes.auc, like_log_loss: likes.log_loss },
          params: { model: best.model, ...best.params, playlist: model.params },
          lineage: { snapshots, seed, config: { model: best.model, params: best.params, playlist: model.params } },
          runId: run.id,
        });
        model.version = `${MODEL_NAME}@v${reg.version}`;
        // the like model is served too (POST /v1/predict/music-like); a refit replaces its champion only when better
        const like = await registerLikeModel(registry, likes, {
          snapshots: likeSnapshots(wh),
          runId: run.id,
          margin: ws.config.retrain.margin,
          by: 'tributary run music',
        });
        c.tracking = {
          run_id: run.id,
          model: MODEL_NAME,
          version: reg.version,
          like: { model: LIKE_MODEL_NAME, version: like.version, champion: like.champion },
        };
        return { note: `${MODEL_NAME} v${reg.version}, ${LIKE_MODEL_NAME} v${like.version}${like.champion ? '' : ' (challenger)'}` };
      },
    },
    {
      name: 'playlists', outputs: [PLAYLISTS_TABLE, 'raw.recommendation_shown'], durable: false,
      async run(c) {
        c.playlists = await writePlaylists(ws, c.model!);
        return { rows: c.playlists.tracks, note: `${c.playlists.users} users, ${c.playlists.events} recommendation_shown events` };
      },
    },
  );
  return steps;
}

const validationNdcg = (r: EvaluationRow) => (r.tuning?.length ? Math.max(...r.tuning.map((t) => t.ndcg10)) : -1);

export async function runMusic(ws: MusicWorkspace, opts: MusicOptions = {}): Promise<MusicSummary> {
  const seed = opts.seed ?? 0;
  const log = opts.log ?? (() => {});
  const track = opts.track ?? true;
  let run: Run | undefined;
  if (track) run = await new Tracker(ws.store, { home: ws.config.home }).startRun({
    pipeline: 'music',
    params: { seed, test_fraction: opts.testFraction ?? 0.2, tune: opts.tune ?? true },
  });
  const ctx: MusicCtx = {};
  let pipeline: PipelineResult;
  try {
    pipeline = await runPipeline('music', musicSteps(ws, opts, run), ctx, { log, run, catalog: ws.lake.catalog });
    await run?.end('finished');
  } catch (e) {
    await run?.end('failed', (e as Error).message);
    throw e;
  }
  const { evaluation, best, likes, model, playlists, tracking } = ctx as Required<MusicCtx>;
  const pop = evaluation.rows.find((r) => r.model === 'popularity');
  const bestTest = Math.max(...evaluation.rows.map((r) => r.ndcg10));
  const samples = model.userIds.slice(0, 3).map((u) => model.playlist(u, 5));
  return {
    evaluation, chosen: { model: best.model, params: best.params, validation_ndcg10: validationNdcg(best) >= 0 ? validationNdcg(best) : null },
    lift_over_popularity: pop && pop.ndcg10 > 0 ? bestTest / pop.ndcg10 : NaN,
    likes: (({ model: _m, holdout: _h, ...rest }) => rest)(likes), playlists, model, samples, tracking, pipeline,
  };
}

/**
 * Playlists for every user with history as a lake table (one row per track), and one
 * recommendation_shown event per user appended durably (acknowledged after fsync) then flushed.
 */
export async function writePlaylists(ws: MusicWorkspace, model: PlaylistModel): Promise<MusicSummary['playlists']> {
  const cols: Record<string, (string | number | boolean)[]> = {
    user_id: [],
    rank: [],
    track_id: [],
    title: [],
    artist: [],
    genre: [],
    score: [],
    reason: [],
    cold_start: [],
    demoted: [],
    model: [],
  };
  const now = new Date();
  const ts = now.toISOString(), dt = ts.slice(0, 10);
  const records = [];
  let cold = 0;
  // every user of the dimension too: those without history get the cold-start playlist
  const known = await ws.wh.query<{ user_id: string }>(`SELECT user_id FROM curated.users ORDER BY user_id`);
  const users = [...new Set([...model.userIds, ...known.map((r) => r.user_id)])];
  for (const u of users) {
    const p = model.playlist(u);
    if (p.cold_start) cold++;
    if (!p.tracks.length) continue;
    for (const t of p.tracks) {
      cols.user_id!.push(u); cols.rank!.push(t.rank); cols.track_id!.push(t.track_id); cols.title!.push(t.title); cols.artist!.push(t.artist);
      cols.genre!.push(t.genre); cols.score!.push(t.score); cols.reason!.push(t.reason); cols.cold_start!.push(p.cold_start);
      cols.demoted!.push(t.demoted); cols.model!.push(p.model);
    }
    const event = RecommendationShownEvent.parse({
      event_id: randomUUID(),
      type: 'recommendation_shown',
      ts,
      user_id: u,
      track_ids: p.tracks.map((t) => t.track_id),
      model_version: p.model,
    });
    records.push({ table: 'raw.recommendation_shown', dt, json: JSON.stringify(event) });
  }
  const r = await writeLakeTable(ws.wh, PLAYLISTS_TABLE, [
    { name: 'user_id', type: 'VARCHAR' }, { name: 'rank', type: 'BIGINT' }, { name: 'track_id', type: 'VARCHAR' },
    { name: 'title', type: 'VARCHAR' }, { name: 'artist', type: 'VARCHAR' }, { name: 'genre', type: 'VARCHAR' },
    { name: 'score', type: 'DOUBLE' }, { name: 'reason', type: 'VARCHAR' }, { name: 'cold_start', type: 'BOOLEAN' },
    { name: 'demoted', type: 'BOOLEAN' }, { name: 'model', type: 'VARCHAR' },
  ], cols, { summary: { model: model.version } });
  for (let k = 0; k < records.length; k += 5000) await ws.lake.append(records.slice(k, k + 5000));
  await ws.lake.flush();
  await ws.wh.refresh();
  return { users: users.length, cold_start: cold, tracks: cols.user_id!.length, table: PLAYLISTS_TABLE, snapshot: r.snapshot, events: records.length };
}

/** `tributary run music` and schedules: the music steps over the run's workspace (args: seed, tune). */
export const musicPipeline: PipelineDefinition<MusicCtx> = {
  name: 'music',
  description: 'the music recommender',
  plan(env) {
    const opts: MusicOptions = { seed: Number(env.args.seed ?? 0), tune: env.args.tune !== false };
    return { steps: musicSteps(env.ws, opts, env.run), ctx: {}, params: { seed: opts.seed ?? 0, tune: opts.tune ?? true } };
  },
};
