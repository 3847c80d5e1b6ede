// A tracked training: what `tributary train ...` does between parsing and printing. Loads the
// training (and test) table from a file or a lake table at a pinned or current snapshot, runs an
// optional grid search as child runs (one per trial, scored on a validation split of the
// training rows, never on the test rows), fits and scores the final model, and records it all
// as one run: params, metrics, stage durations, the model artifact and the data's lineage.
// With `register` the model becomes a registry version whose lineage names the exact lake
// snapshots, the seed and the config hash, so retraining from them gives the same bytes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/index.ts';
import { openMetaStore, type MetaStore } from '../metadata/db.ts';
import { loadTable, type LoadedFrame } from '../features/table-loader.ts';
import type { Frame } from '../ml/core/frame.ts';
import { takeFrameRows } from '../ml/data/frame-ops.ts';
import { trainTable, type TrainOptions, type TrainResult } from '../ml/pipeline/train.ts';
import { planTrials, runTrials, type SearchMode } from '../ml/pipeline/search-table.ts';
import { crossValidateTable, type CvSpec, type CvSummary } from '../ml/pipeline/cross-validate-table.ts';
import type { Pipeline } from '../ml/pipeline/pipeline.ts';
import { trainTestSplit } from '../ml/selection/splits.ts';
import { openWorkspace, type Workspace } from '../warehouse/workspace.ts';
import { viewName } from '../warehouse/session.ts';
import type { ModelCardFields } from '../tracking/card.ts';
import { TrackingError } from '../tracking/errors.ts';
import { artifactJson, configHash, type SnapshotRef } from '../tracking/lineage.ts';
import { ModelRegistry, type ModelVersionInfo } from '../tracking/registry.ts';
import { Tracker, type ParamValue } from '../tracking/tracker.ts';

/** Hyper-parameters a search may vary, by their CLI names. */
export const SEARCHABLE = { trees: 'trees', rounds: 'rounds', depth: 'depth', alpha: 'alpha', 'learning-rate': 'learningRate' } as const;
export type SearchSpace = Partial<Record<keyof typeof SEARCHABLE, number[]>>;
const MAX_TRIALS = 200;

/** `lake:zone.table` (a lake table) or a file path. */
export type TrainSource = { kind: 'lake'; table: string } | { kind: 'file'; path: string };

export function parseSource(text: string): TrainSource {
  if (!text.startsWith('lake:')) return { kind: 'file', path: text };
  const table = text.slice(5);
  if (!/^[a-z_]+\.[A-Za-z0-9_]+$/.test(table)) throw new TrackingError(`data source "${text}": expected lake:zone.table, e.g. lake:curated.customer_spend`);
  return { kind: 'lake', table };
}

/** `--search depth=3,6,9` (repeatable) into a search space. */
export function parseSearch(specs: string[] = []): SearchSpace {
  const space: SearchSpace = {};
  for (const s of specs) {
    const m = /^([a-z-]+)=(.+)$/.exec(s.trim());
    if (!m || !(m[1]! in SEARCHABLE)) {
      throw new TrackingError(`--search "${s}": expected NAME=v1,v2,... with NAME one of ${Object.keys(SEARCHABLE).join(', ')}`);
    }
    const values = m[2]!.split(',').map((v) => Number(v.trim()));
    if (values.some((v) => !Number.isFinite(v))) throw new TrackingError(`--search "${s}": values must be numbers`);
    space[m[1] as keyof typeof SEARCHABLE] = [...new Set(values)];
  }
  return space;
}

/** Every combination of a search space (the grid). */
export function grid(space: SearchSpace): Partial<TrainOptions>[] {
  return searchTrials(space, 'grid', undefined, 0);
}

/** The trials of a search, as TrainOptions fields (grid: all combinations; random: a seeded sample). */
function searchTrials(space: SearchSpace, mode: SearchMode, nTrials: number | undefined, seed: number): Partial<TrainOptions>[] {
  const byKey: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(space)) byKey[SEARCHABLE[name as keyof typeof SEARCHABLE]] = values!;
  return planTrials(byKey, mode, nTrials, seed) as Partial<TrainOptions>[];
}

export interface TrackedTrainOptions {
  /** task, target, model, hyper-parameters, seed */
  train: TrainOptions;
  /** file path or lake:zone.table */
  data: string;
  test?: string;
  /** lake snapshots to read: { 'raw.spend': 3 }; tables not pinned are read at their current snapshot */
  pins?: Record<string, number>;
  search?: SearchSpace;
  /** grid (every combination, the default) or random (`trials` of them, drawn with the seed) */
  searchMode?: SearchMode;
  trials?: number;
  /** cross-validate the final recipe on the training rows: k folds or 'time' */
  cv?: CvSpec;
  /** register the model under this name */
  register?: string;
  card?: ModelCardFields;
  /** who registers (default TRIBUTARY_USER or the OS user) */
  by?: string;
  /** the run's pipeline name (default 'train') and extra tags */
  pipeline?: string;
  tags?: Record<string, string>;
  /** called as each stage ends (load, search, fit, cross-validate, save, register), for progress lines */
  onStage?: (stage: string, note?: string) => void;
}

/** How many stages onStage hears about for these options (the count gives progress an ETA). */
export function trainStageCount(o: Pick<TrackedTrainOptions, 'search' | 'cv' | 'register'>): number {
  return 3 + (Object.keys(o.search ?? {}).length ? 1 : 0) + (o.cv !== undefined ? 1 : 0) + (o.register ? 1 : 0);
}

export interface TrialOutcome { runId: string; params: Partial<TrainOptions>; score: number; error?: string }

export interface TrackedTrainResult {
  runId: string;
  result: TrainResult;
  pipeline: Pipeline;
  /** the model as registered: JSON text of pipeline.toJSON() */
  artifact: string;
  artifactSha256: string;
  snapshots: SnapshotRef[];
  configHash: string;
  trials: TrialOutcome[];
  /** the hyper-parameters the final model used (the best trial's, with a search) */
  chosen: TrainOptions;
  registered?: ModelVersionInfo;
  /** per-fold metrics and their spread, with `cv` */
  cv?: CvSummary;
}

export { artifactJson };

const scoreOf = (r: TrainResult): number => (r.task === 'regression' ? r.rmse : r.log_loss);
const scoreName = (task: TrainOptions['task']) => (task === 'regression' ? 'rmse' : 'log_loss');

function resultMetrics(r: TrainResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number') out[k] = v;
  return out;
}

function hyperParams(o: TrainOptions): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const k of ['trees', 'rounds', 'depth', 'alpha', 'learningRate', 'testSize', 'scale'] as const) if (o[k] !== undefined) out[k] = o[k]!;
  if (o.features?.length) out.features = o.features.join(',');
  if (o.drop?.length) out.drop = o.drop.join(',');
  return out;
}

export async function trainTracked(config: Config, opts: TrackedTrainOptions): Promise<TrackedTrainResult> {
  const sources = { data: parseSource(opts.data), ...(opts.test ? { test: parseSource(opts.test) } : {}) };
  const lakeTables = Object.values(sources).filter((s) => s.kind === 'lake').map((s) => (s as { table: string }).table);
  const pins = opts.pins ?? {};
  for (const t of Object.keys(pins)) {
    if (!lakeTables.includes(t)) {
      throw new TrackingError(`--snapshot ${t}@${pins[t]}: this training does not read ${t} (it reads ${lakeTables.length ? lakeTables.join(', ') : 'no lake table; use --data lake:zone.table'})`);
    }
  }
  const trials = searchTrials(opts.search ?? {}, opts.searchMode ?? 'grid', opts.trials, opts.train.seed ?? 0);
  if (trials.length > MAX_TRIALS) throw new TrackingError(`--search: ${trials.length} combinations; at most ${MAX_TRIALS}`);
  const searching = Object.keys(opts.search ?? {}).length > 0;

  // one metadata store per process (see docs/decisions.md on SQLite): the workspace's when the lake is read
  let ws: Workspace | undefined;
  let store: MetaStore;
  if (lakeTables.length) {
    ws = await openWorkspace({ config, pins });
    store = ws.store;
  } else {
    store = await openMetaStore({ home: config.home, databaseUrl: config.databaseUrl });
  }
  try {
    const tracker = new Tracker(store, { home: config.home });
    const registry = new ModelRegistry(store, { home: config.home });
    const t = opts.train;
    const config_ = { task: t.task, target: t.target, model: t.model, ...hyperParams(t), seed: t.seed ?? 0, data: opts.data, test: opts.test ?? null, search: opts.search ?? null };
    const cfgHash = configHash(config_);
    const params: Record<string, ParamValue> = {
      task: t.task, target: t.target, model: t.model, seed: t.seed ?? 0, ...hyperParams(t), data: opts.data, ...(opts.test ? { test: opts.test } : {}),
      ...(searching ? { search: opts.search as Record<string, unknown> } : {}),
    };
    const tags = { ...(opts.tags ?? {}), config_hash: cfgHash, ...(opts.register ? { register: opts.register } : {}) };

    return await tracker.withRun({ pipeline: opts.pipeline ?? 'train', step: t.task, params, tags }, async (run) => {
      const loaded = await run.stage('load', async () => {
        const snapshots: SnapshotRef[] = [];
        const read = async (s: TrainSource): Promise<LoadedFrame> => {
          if (s.kind === 'file') return loadTable(s.path);
          const snap = ws!.wh.snapshots.get(s.table);
          if (snap === undefined) {
            throw new TrackingError(`lake table ${s.table} is not in the catalog (tables: ${[...ws!.wh.snapshots.keys()].sort().join(', ') || 'none'})`);
          }
          if (!snapshots.some((x) => x.table === s.table)) snapshots.push({ table: s.table, snapshot: snap });
          // a snapshot's files are listed in commit order and DuckDB keeps insertion order, so
          // the same snapshot gives the same rows in the same order
          // `dt` is the lake's Hive partition key (the day a row landed), not a property of
          // the row: as a feature it would leak ingestion dates into the model
          const select = `SELECT * FROM ${viewName(s.table)}`;
          const columns = (await ws!.wh.describe(select)).map((c) => c.name).filter((c) => c !== 'dt' || c === t.target);
          return loadTable({ sql: select }, { connection: ws!.wh.conn, columns });
        };
        const train = await read(sources.data);
        const test = sources.test ? await read(sources.test) : null;
        return { train, test, snapshots };
      });
      const { snapshots } = loaded;
      const stage = opts.onStage ?? (() => {});
      stage('load', `${loaded.train.length.toLocaleString('en-US')} training rows${loaded.test ? `, ${loaded.test.length.toLocaleString('en-US')} test rows` : ''}`);
      if (snapshots.length) await run.logParams({ snapshots: snapshots.map((s) => `${s.table}@${s.snapshot}`).join(',') });
      // a file has no snapshots: its content hash stands in for them
      const fileSha = new Map<string, string>();
      for (const [role, s] of Object.entries(sources)) {
        if (s.kind !== 'file') continue;
        fileSha.set(s.path, createHash('sha256').update(readFileSync(s.path)).digest('hex'));
        await run.setTag(`${role}_sha256`, fileSha.get(s.path)!);
      }
      await run.logMetrics({ rows_train_table: loaded.train.length, ...(loaded.test ? { rows_test_table: loaded.test.length } : {}) });

      let fitFrame: Frame = loaded.train;
      let testFrame: Frame | null = loaded.test;
      let chosen: TrainOptions = { ...t };
      const outcomes: TrialOutcome[] = [];
      if (searching) {
        if (!testFrame) {
          // hold the test rows out before the search so no trial ever sees them
          const s = trainTestSplit(fitFrame.length, { testSize: t.testSize ?? 0.2, seed: t.seed ?? 0 });
          testFrame = takeFrameRows(fitFrame, s.test);
          fitFrame = takeFrameRows(fitFrame, s.train);
        }
        await run.stage('search', async () => {
          // trials in parallel on worker threads, each scored on a seeded validation split of
          // the training rows; then one child run per trial
          const results = await runTrials(fitFrame, { ...t, dates: t.dates ?? loaded.train.dates }, trials as Record<string, unknown>[]);
          for (const [i, r] of results.entries()) {
            const trial = trials[i]!;
            const child = await run.startChild({ step: 'trial', params: { trial: i, model: t.model, seed: t.seed ?? 0, ...hyperParams({ ...t, ...trial }) } });
            await child.recordStage('fit', r.seconds * 1000, { status: r.result ? 'finished' : 'failed' });
            if (r.result) {
              await child.logMetrics(resultMetrics(r.result));
              await child.end('finished');
              outcomes.push({ runId: child.id, params: trial, score: scoreOf(r.result) });
            } else {
              await child.end('failed', r.error);
              outcomes.push({ runId: child.id, params: trial, score: NaN, error: r.error });
            }
          }
        });
        const ok = outcomes.filter((o) => Number.isFinite(o.score));
        if (ok.length === 0) throw new TrackingError(`every trial of the search failed; first error: ${outcomes[0]?.error ?? 'none'}`);
        // lowest validation score; ties go to the earlier trial, so the choice is deterministic
        const best = ok.reduce((a, b) => (b.score < a.score ? b : a));
        chosen = { ...t, ...best.params };
        await run.logParams({ best_trial_run: best.runId, ...Object.fromEntries(Object.entries(hyperParams(chosen)).map(([k, v]) => [`best_${k}`, v])) });
        await run.logMetrics({ trials: outcomes.length, [`best_validation_${scoreName(t.task)}`]: best.score });
        stage('search', `${outcomes.length} trials, best validation ${scoreName(t.task)} ${Number(best.score.toPrecision(6))}`);
      }

      const t0 = performance.now();
      const startedAt = new Date().toISOString();
      let trained: { result: TrainResult; pipeline: Pipeline };
      chosen = { ...chosen, dates: chosen.dates ?? loaded.train.dates };
      try {
        trained = trainTable(fitFrame, testFrame, chosen);
      } catch (e) {
        await run.recordStage('fit', performance.now() - t0, { startedAt, status: 'failed' });
        throw e;
      }
      const total = performance.now() - t0;
      const fitMs = trained.result.fit_s * 1000;
      await run.recordStage('fit', fitMs, { startedAt });
      await run.recordStage('evaluate', Math.max(0, total - fitMs));
      await run.logMetrics(resultMetrics(trained.result));
      stage('fit and evaluate', `${t.model}, ${trained.result.n_train.toLocaleString('en-US')} rows, ${trained.result.n_features} features`);
      if (trained.result.excluded.length) await run.logParams({ excluded_columns: trained.result.excluded.map((e) => `${e.column} (${e.reason})`).join(', ') });
      let cvSummary: CvSummary | undefined;
      if (opts.cv !== undefined) {
        // the chosen recipe, cross-validated on the training rows (the test rows stay out)
        cvSummary = await run.stage('cross-validate', async () => crossValidateTable(fitFrame, chosen, opts.cv!));
        for (const f of cvSummary.folds) await run.logMetrics(Object.fromEntries(Object.entries(f.metrics).map(([k, v]) => [`cv_${k}`, v])), f.fold);
        await run.logMetrics({
          ...Object.fromEntries(Object.entries(cvSummary.mean).map(([k, v]) => [`cv_${k}_mean`, v])),
          ...Object.fromEntries(Object.entries(cvSummary.std).map(([k, v]) => [`cv_${k}_std`, v])),
        });
        stage('cross-validate', `${cvSummary.folds.length} folds`);
      }

      const artifact = await run.stage('save', async () => {
        const text = artifactJson(trained.pipeline.toJSON());
        const info = await run.logArtifact('model.json', Buffer.from(text, 'utf8'));
        return { text, sha256: info.sha256 };
      });
      stage('save', `model.json, ${(Buffer.byteLength(artifact.text) / 1024).toFixed(0)} KB`);

      let registered: ModelVersionInfo | undefined;
      if (opts.register) {
        const r = trained.result;
        const columns = [...loaded.train.columns.keys()].filter((c) => c !== t.target);
        const source = (s: TrainSource) => (s.kind === 'file' ? `file ${s.path} (sha256 ${fileSha.get(s.path)})` : `lake table ${s.table} snapshot ${snapshots.find((x) => x.table === s.table)?.snapshot}`);
        registered = await run.stage('register', () => registry.registerModel(opts.register!, {
          artifact: artifact.text,
          runId: run.id,
          metrics: resultMetrics(r),
          params: { task: t.task, model: t.model, target: t.target, seed: t.seed ?? 0, ...hyperParams(chosen) },
          lineage: { snapshots, seed: t.seed ?? 0, configHash: cfgHash },
          by: opts.by,
          card: {
            description: `A ${t.task} model (${t.model}) predicting \`${t.target}\`, trained by \`tributary train ${t.task}\`.`,
            intendedUse: `Scoring rows with the same columns as its training table${t.task === 'classification' ? ` (classes: ${r.task === 'classification' ? r.classes.join(', ') : ''})` : ''}; validate on fresh data before promoting.`,
            data: `${r.n_train} training rows and ${r.n_test} test rows (${sources.test ? `test from ${source(sources.test)}` : searching ? 'a seeded hold-out, never seen by the search' : 'a seeded 80/20 split'}) from ${source(sources.data)}` +
              (r.n_dropped ? `; ${r.n_dropped} rows without a target skipped` : '') + '.',
            features: columns,
            target: t.target,
            ...opts.card,
          },
        }));
        await run.setTags({ registered_model: registered.name, registered_version: String(registered.version) });
        stage('register', `${registered.name} v${registered.version}`);
      }
      return {
        runId: run.id, result: trained.result, pipeline: trained.pipeline, artifact: artifact.text, artifactSha256: artifact.sha256,
        snapshots, configHash: cfgHash, trials: outcomes, chosen, registered, ...(cvSummary ? { cv: cvSummary } : {}),
      };
    });
  } finally {
    if (ws) await ws.close();
    else await store.close();
  }
}

