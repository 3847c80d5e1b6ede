// `tributary recommend ...`: offline evaluation of the recommenders on user,item,weight files.
import type { Command } from 'commander';
import { readInteractionsFile } from '../warehouse/interactions-file.ts';
import { openDuck } from '../lake/duck.ts';
import { evaluateModels, type EvaluationRow } from '../ml/recsys/evaluate.ts';
import { RECOMMENDER_KINDS, type RecommenderKind } from '../ml/recsys/registry.ts';
import { openWorkspace } from '../warehouse/workspace.ts';
import { evaluateOnLake, runMusic, MODEL_NAME } from '../pipeline/music.ts';
import { PlaylistModel, recommendForUser } from '../analytics/music/playlist.ts';
import { loadConfig } from '../config/index.ts';
import { ModelRegistry, Tracker, openTracking, type Run } from '../tracking/index.ts';
import type { MetaStore } from '../metadata/db.ts';
import { fail, printJson, printTable, usage } from './output.ts';

interface EvaluateOpts {
  train?: string; test?: string; lake?: boolean; testFraction: string; model: string; tune?: boolean; json?: boolean; seed: string;
  factors?: string; iterations?: string; alpha?: string; reg?: string; cgSteps?: string; threads?: string;
  dtype?: string; lambda?: string; k?: string; track: boolean;
}

/**
 * Every evaluation is a tracking run (pipeline "recommend", step "evaluate"): the parameters of
 * each model, and its metrics under "<model>.<metric>". Uses the workspace's metadata store
 * when there is one (one store per process), else opens the home's.
 */
async function trackedEvaluation(
  store: MetaStore | undefined,
  params: Record<string, string | number | boolean>,
  rows: EvaluationRow[],
  fn: () => Promise<void>,
): Promise<Run['id'] | undefined> {
  const config = loadConfig();
  const own = store ? undefined : await openTracking(config);
  try {
    const tracker = own ? own.tracker : new Tracker(store!, { home: config.home });
    return await tracker.withRun({ pipeline: 'recommend', step: 'evaluate', params }, async (run) => {
      await run.stage('evaluate', fn);
      for (const r of rows) {
        await run.logMetrics({
          [`${r.model}.ndcg10`]: r.ndcg10,
          [`${r.model}.recall20`]: r.recall20,
          [`${r.model}.precision10`]: r.precision10,
          [`${r.model}.map10`]: r.map10,
          [`${r.model}.coverage`]: r.coverage,
          [`${r.model}.fit_s`]: r.fit_s,
        });
      }
      return run.id;
    });
  } finally {
    await own?.close();
  }
}

export function register(program: Command): void {
  const rec = program.command('recommend').description('recommenders: offline evaluation, the music pipeline, playlists');
  rec.command('evaluate')
    .description('fit recommenders on TRAIN and score their top-N lists against TEST (columns user,item,weight), or on the lake (--lake)')
    .option('--train <file>', 'training interactions CSV')
    .option('--test <file>', 'held-out interactions CSV')
    .option('--lake', 'use the lake instead: curated.music_interactions_daily split per user by time (build first)')
    .option('--test-fraction <x>', 'with --lake: share of each user\'s active days held out, the latest', '0.2')
    .option('--model <name>', `${RECOMMENDER_KINDS.join('|')}|all`, 'all')
    .option('--tune', 'pick hyper-parameters on a per-user holdout of the training file (never the test file)')
    .option('--json', 'print {"models": [one object per model], "run_id"}')
    .option('--seed <n>', 'seed for ALS init and the tuning holdout', '0')
    .option('--factors <n>', 'ALS latent factors (default 64)')
    .option('--iterations <n>', 'ALS iterations (default 15)')
    .option('--alpha <x>', 'ALS confidence slope: c = 1 + alpha * weight (default 1)')
    .option('--reg <x>', 'ALS L2 regularisation (default: 0.2 x the mean interactions per user)')
    .option('--cg-steps <n>', 'ALS conjugate-gradient steps per row (default 3)')
    .option('--threads <n>', 'ALS worker threads (default: one per core)')
    .option('--dtype <t>', 'ALS factor storage: float32|float64')
    .option('--lambda <x>', 'EASE L2 regularisation (default 200)')
    .option('--k <n>', 'item-kNN neighbours per item (default 100)')
    .option('--no-track', 'do not record a tracking run')
    .action(async (o: EvaluateOpts) => {
      const models = (o.model === 'all' ? [...RECOMMENDER_KINDS] : o.model.split(',').map((s) => s.trim())) as RecommenderKind[];
      for (const m of models) if (!RECOMMENDER_KINDS.includes(m)) usage(`--model: unknown model "${m}" (known: ${RECOMMENDER_KINDS.join(', ')}, all)`);
      const seed = int('--seed', o.seed)!;
      const als = prune({
        factors: int('--factors', o.factors), iterations: int('--iterations', o.iterations), alpha: num('--alpha', o.alpha),
        regularization: num('--reg', o.reg), cgSteps: int('--cg-steps', o.cgSteps), threads: int('--threads', o.threads), dtype: o.dtype, seed,
      });
      const params = { als, ease: prune({ lambda: num('--lambda', o.lambda) }), 'item-knn': prune({ k: int('--k', o.k) }), popularity: {} };
      const rows: EvaluationRow[] = [];
      const jsonRows: Record<string, unknown>[] = [];
      const onRow = (r: EvaluationRow) => {
        rows.push(r);
        if (o.json) {
          jsonRows.push({
            model: r.model, fit_s: round(r.fit_s, 3), ndcg10: round(r.ndcg10, 4), recall20: round(r.recall20, 4),
            precision10: round(r.precision10, 4), map10: round(r.map10, 4), coverage: round(r.coverage, 4),
            users: r.users, cold_users: r.coldUsers, params: r.params,
            ...(r.tuning ? { tuning: r.tuning.map((t) => ({ params: t.params, ndcg10: round(t.ndcg10, 4), recall20: round(t.recall20, 4) })) } : {}),
          });
        }
      };
      const runParams: Record<string, string | number | boolean> = {
        models: models.join(','),
        source: o.lake ? 'lake' : `${o.train} / ${o.test}`,
        tune: !!o.tune,
        seed,
      };
      for (const [kind, p] of Object.entries(params)) for (const [k, v] of Object.entries(p)) if (v !== undefined) runParams[`${kind}.${k}`] = v as
        | string
        | number;
      let runId: string | undefined;
      if (o.lake) {
        if (o.train || o.test) usage('--lake reads the lake: do not give --train/--test with it');
        const ws = await openWorkspace();
        try {
          const evaluate = async () => {
            const r = await evaluateOnLake(ws.wh, { models, tune: o.tune, seed, params, testFraction: num('--test-fraction', o.testFraction), onRow });
            if (!o.json) console.log(`per-user time split: ${r.split.users} users, ${r.split.train_pairs} training ` +
              `pairs, ${r.split.test_pairs} new test pairs of ${r.split.test_users} users`);
            if (!o.json && r.tuning_sample) console.log(`tuned on a seeded sample of ${r.tuning_sample.users} of ${r.tuning_sample.of} training users`);
          };
          if (o.track) runId = await trackedEvaluation(ws.store, runParams, rows, evaluate); else await evaluate();
        } finally { await ws.close(); }
      } else {
        if (!o.train || !o.test) usage('give --train FILE and --test FILE, or --lake');
        const evaluate = async () => {
          const duck = await openDuck({ threads: 2 });
          let train, test;
          try {
            train = await readInteractionsFile(duck.conn, o.train!);
            test = await readInteractionsFile(duck.conn, o.test!);
          } finally { duck.conn.closeSync(); }
          await evaluateModels(train, test, { models, tune: o.tune, params, seed, onRow });
        };
        if (o.track) runId = await trackedEvaluation(undefined, runParams, rows, evaluate); else await evaluate();
      }
      if (o.json) printJson({ models: jsonRows, run_id: runId ?? null });
      else {
        printTable(rows.map((r) => ({
          model: r.model, fit_s: round(r.fit_s, 3), 'ndcg@10': round(r.ndcg10, 4), 'recall@20': round(r.recall20, 4),
          'precision@10': round(r.precision10, 4), 'map@10': round(r.map10, 4), coverage: round(r.coverage, 4), users: r.users,
          params: Object.entries(r.params).filter(([k]) => !['seed', 'threads', 'dtype', 'confidence'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' '),
        })));
        if (runId) console.log(`tracking run ${runId} (tributary runs show ${runId})`);
      }
    });

  rec.command('run')
    .description('the music recommender pipeline on the lake: features, evaluation, tuned model, like model, playlists for every user, registry')
    .option('--length <n>', 'tracks per playlist', '20')
    .option('--no-tune', 'default hyper-parameters instead of tuning on validation')
    .option('--no-track', 'no tracking run, no registry')
    .option('--seed <n>', 'seed', '0')
    .option('--json', 'print the summary as JSON')
    .action(async (o: { length: string; tune: boolean; track: boolean; seed: string; json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const s = await runMusic(ws, {
          playlistLength: int('--length', o.length),
          tune: o.tune,
          track: o.track,
          seed: int('--seed', o.seed),
          log: o.json ? undefined : (l) => console.error(l),
        });
        const out = {
          split: s.evaluation.split,
          tuning_sample: s.evaluation.tuning_sample,
          models: s.evaluation.rows.map((r) => ({
            model: r.model,
            fit_s: round(r.fit_s, 3),
            ndcg10: round(r.ndcg10, 4),
            recall20: round(r.recall20, 4),
            precision10: round(r.precision10, 4),
            map10: round(r.map10, 4),
            coverage: round(r.coverage, 4),
          })),
          chosen: s.chosen, lift_over_popularity: round(s.lift_over_popularity, 3),
          like_model: {
            log_loss: round(s.likes.log_loss, 4),
            auc: round(s.likes.auc, 4),
            auc_als_only: round(s.likes.auc_als_only, 4),
            log_loss_base_rate: round(s.likes.log_loss_base_rate, 4),
            train: s.likes.train_examples,
            test: s.likes.test_examples,
          },
          playlists: s.playlists, tracking: s.tracking,
        };
        if (o.json) printJson({ ...out, samples: s.samples });
        else {
          printTable(out.models);
          console.log(`chosen on validation: ${s.chosen.model}; best NDCG@10 / popularity's = ${out.lift_over_popularity}`);
          if (s.evaluation.tuning_sample) {
            console.log(`tuned on a seeded sample of ${s.evaluation.tuning_sample.users} of ${s.evaluation.tuning_sample.of} training users ` +
              `(a fixed tuning budget); the chosen point fitted and tested on all`);
          }
          console.log(`like model: log loss ${out.like_model.log_loss} (base ` +
            `rate ${out.like_model.log_loss_base_rate}), AUC ${out.like_model.auc} (ALS score alone ${out.like_model.auc_als_only})`);
          console.log(`playlists: ${s.playlists.users} users (${s.playlists.cold_start} cold start) ` +
            `→ ${s.playlists.table}@${s.playlists.snapshot}, ${s.playlists.events} recommendation_shown events`);
          for (const p of s.samples) printPlaylist(p);
        }
      } finally { await ws.close(); }
    });

  rec.command('playlist <user>')
    .description(`one user's "Recommended for you" from the registered ${MODEL_NAME} (alias or version)`)
    .option('--model <ref>', 'version number or alias', 'latest')
    .option('-n <n>', 'tracks', '20')
    .option('--json', 'JSON')
    .action(async (user: string, o: { model: string; n: string; json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const reg = new ModelRegistry(ws.store, { home: ws.config.home });
        const ref = o.model === 'latest' ? (await reg.listVersions(MODEL_NAME, { limit: 1 }))[0]?.version : /^\d+$/.test(o.model) ? Number(o.model) : o.model;
        if (ref === undefined) fail(`no ${MODEL_NAME} registered yet: run \`tributary recommend run\``);
        const loaded = await reg.loadModel(MODEL_NAME, ref);
        const model = PlaylistModel.fromJSON(loaded.artifact as any);
        model.version = `${MODEL_NAME}@v${loaded.version}`;
        const p = recommendForUser(model, user, int('-n', o.n));
        if (o.json) printJson(p); else printPlaylist(p);
      } finally { await ws.close(); }
    });
}

function printPlaylist(p: import('../analytics/music/playlist.ts').Playlist): void {
  console.log(`\nRecommended for ${p.user_id}${p.cold_start ? ' (cold start: popular tracks)' : ''} [${p.model}]`);
  for (const t of p.tracks) {
    console.log(`  ${String(t.rank).padStart(2)}. ${t.title} - ${t.artist} (${t.genre})  ${t.reason}${t.demoted ? ' [demoted genre]' : ''}`);
  }
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) usage(`${flag}: expected an integer, got "${v}"`);
  return n;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) usage(`${flag}: expected a number, got "${v}"`);
  return n;
}

function prune(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const round = (x: number, d: number) => Number(x.toFixed(d));
