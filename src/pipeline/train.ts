// A tracked training: what `tributary train ...` does between parsing and printing, as a named
// pipeline on the runner (src/pipeline/runner.ts: each step a tracked child run). Loads the
// training (and test) table from a file or a lake table at a pinned or current snapshot, runs an
// optional grid search as child runs (one per trial, scored on a validation split of the
// training rows, never on the test rows), fits and scores the final model, and records it all
// as one run: params, metrics, stage durations, the model artifact and the data's lineage.
// With `register` the model becomes a registry version whose lineage names the exact lake
// snapshots, the seed and the config hash, so retraining from them gives the same bytes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.ts';
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
import type { ParamValue, Run } from '../tracking/tracker.ts';
import { executePipeline, type PipelineDefinition } from './execute.ts';
import { PipelineError, type Step } from './runner.ts';

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

interface TrainCtx {
  loaded?: { train: LoadedFrame; test: LoadedFrame | null; snapshots: SnapshotRef[] };
  /** a file source's content hash (it has no snapshot) */
  fileSha: Map<string, string>;
  fitFrame?: Frame;
  testFrame?: Frame | null;
  chosen: TrainOptions;
  outcomes: TrialOutcome[];
  trained?: { result: TrainResult; pipeline: Pipeline };
  cv?: CvSummary;
  artifact?: { text: string; sha256: string };
  registered?: ModelVersionInfo;
}

/** What trainTracked derives from its options before the run: sources, trials, the config's hash. */
interface TrainPlan {
  opts: TrackedTrainOptions;
  sources: { data: TrainSource; test?: TrainSource };
  lakeTables: string[];
  trials: Partial<TrainOptions>[];
  searching: boolean;
  cfgHash: string;
  params: Record<string, ParamValue>;
  tags: Record<string, string>;
}

function planTraining(opts: TrackedTrainOptions): TrainPlan {
  const sources = { data: parseSource(opts.data), ...(opts.test ? { test: parseSource(opts.test) } : {}) };
  const lakeTables = Object.values(sources).filter((s) => s.kind === 'lake').map((s) => (s as { table: string }).table);
  const pins = opts.pins ?? {};
  for (const t of Object.keys(pins)) {
    if (!lakeTables.includes(t)) {
      throw new TrackingError(`--snapshot ${t}@${pins[t]}: this training does not read ${t} (it ` +
        `reads ${lakeTables.length ? lakeTables.join(', ') : 'no lake table; use --data lake:zone.table'})`);
    }
  }
  const trials = searchTrials(opts.search ?? {}, opts.searchMode ?? 'grid', opts.trials, opts.train.seed ?? 0);
  if (trials.length > MAX_TRIALS) throw new TrackingError(`--search: ${trials.length} combinations; at most ${MAX_TRIALS}`);
  const searching = Object.keys(opts.search ?? {}).length > 0;
  const t = opts.train;
  const cfgHash = configHash({
    task: t.task,
    target: t.target,
    model: t.model,
    ...hyperParams(t),
    seed: t.seed ?? 0,
    data: opts.data,
    test: opts.test ?? null,
    search: opts.search ?? null,
  });
  const params: Record<string, ParamValue> = {
    task: t.task, target: t.target, model: t.model, seed: t.seed ?? 0, ...hyperParams(t), data: opts.data, ...(opts.test ? { test: opts.test } : {}),
    ...(searching ? { search: opts.search as Record<string, unknown> } : {}),
  };
  const tags = { ...(opts.tags ?? {}), config_hash: cfgHash, ...(opts.register ? { register: opts.register } : {}) };
  return { opts, sources, lakeTables, trials, searching, cfgHash, params, tags };
}

/** The training's steps: load, search (with a search space), fit, cross-validate (with cv), save, register (with a name). */
function trainSteps(p: TrainPlan, ws: Workspace, run: Run): Step<TrainCtx>[] {
  const { opts, sources, trials, searching } = p;
  const t = opts.train;
  const registry = new ModelRegistry(ws.store, { home: ws.config.home });
  const stage = opts.onStage ?? (() => {});
  const steps: Step<TrainCtx>[] = [{
    name: 'load',
    inputs: p.lakeTables,
    async run(c) {
      const snapshots: SnapshotRef[] = [];
      const read = async (s: TrainSource): Promise<LoadedFrame> => {
        if (s.kind === 'file') return loadTable(s.path);
        const snap = ws.wh.snapshots.get(s.table);
        if (snap === undefined) {
          throw new TrackingError(`lake table ${s.table} is not in the catalog (tables: ${[...ws.wh.snapshots.keys()].sort().join(', ') || 'none'})`);
        }
        if (!snapshots.some((x) => x.table === s.table)) snapshots.push({ table: s.table, snapshot: snap });
        // a snapshot's files are listed in commit order and DuckDB keeps insertion order, so
        // the same snapshot gives the same rows in the same order
        // `dt` is the lake's Hive partition key (the day a row landed), not a property of
        // the row: as a feature it would leak ingestion dates into the model
        const select = `SELECT * FROM ${viewName(s.table)}`;
        const columns = (await ws.wh.describe(select)).map((col) => col.name).filter((col) => col !== 'dt' || col === t.target);
        return loadTable({ sql: select }, { connection: ws.wh.conn, columns });
      };
      const train = await read(sources.data);
      const test = sources.test ? await read(sources.test) : null;
      c.loaded = { train, test, snapshots };
      if (snapshots.length) await run.logParams({ snapshots: snapshots.map((s) => `${s.table}@${s.snapshot}`).join(',') });
      // a file has no snapshots: its content hash stands in for them
      for (const [role, s] of Object.entries(sources)) {
        if (s.kind !== 'file') continue;
        c.fileSha.set(s.path, createHash('sha256').update(readFileSync(s.path)).digest('hex'));
        await run.setTag(`${role}_sha256`, c.fileSha.get(s.path)!);
      }
      await run.logMetrics({ rows_train_table: train.length, ...(test ? { rows_test_table: test.length } : {}) });
      c.fitFrame = train;
      c.testFrame = test;
      stage('load', `${train.length.toLocaleString('en-US')} training rows${test ? `, ${test.length.toLocaleString('en-US')} test rows` : ''}`);
      return { rows: train.length + (test?.length ?? 0) };
    },
  }];
  if (searching) {
    steps.push({
      name: 'search',
      async run(c, io) {
        if (!c.testFrame) {
          // hold the test rows out before the search so no trial ever sees them
          const s = trainTestSplit(c.fitFrame!.length, { testSize: t.testSize ?? 0.2, seed: t.seed ?? 0 });
          c.testFrame = takeFrameRows(c.fitFrame!, s.test);
          c.fitFrame = takeFrameRows(c.fitFrame!, s.train);
        }
        // trials in parallel on worker threads, each scored on a seeded validation split of the
        // training rows; then one run per trial, a child of this step's run
        const results = await runTrials(c.fitFrame!, { ...t, dates: t.dates ?? c.loaded!.train.dates }, trials as Record<string, unknown>[]);
        const parent = io.run ?? run;
        for (const [i, r] of results.entries()) {
          const trial = trials[i]!;
          const child = await parent.startChild({ step: 'trial', params: { trial: i, model: t.model, seed: t.seed ?? 0, ...hyperParams({ ...t, ...trial }) } });
          await child.recordStage('fit', r.seconds * 1000, { status: r.result ? 'finished' : 'failed' });
          if (r.result) {
            await child.logMetrics(resultMetrics(r.result));
            await child.end('finished');
            c.outcomes.push({ runId: child.id, params: trial, score: scoreOf(r.result) });
          } else {
            await child.end('failed', r.error);
            c.outcomes.push({ runId: child.id, params: trial, score: NaN, error: r.error });
          }
        }
        const ok = c.outcomes.filter((o) => Number.isFinite(o.score));
        if (ok.length === 0) throw new TrackingError(`every trial of the search failed; first error: ${c.outcomes[0]?.error ?? 'none'}`);
        // lowest validation score; ties go to the earlier trial, so the choice is deterministic
        const best = ok.reduce((a, b) => (b.score < a.score ? b : a));
        c.chosen = { ...t, ...best.params };
        await run.logParams({ best_trial_run: best.runId, ...Object.fromEntries(Object.entries(hyperParams(c.chosen)).map(([k, v]) => [`best_${k}`, v])) });
        await run.logMetrics({ trials: c.outcomes.length, [`best_validation_${scoreName(t.task)}`]: best.score });
        stage('search', `${c.outcomes.length} trials, best validation ${scoreName(t.task)} ${Number(best.score.toPrecision(6))}`);
        return {
          rows: c.outcomes.length,
          note: `best ${Object.entries(best.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')}: ${scoreName(t.task)} ${best.score.toPrecision(4)}`,
        };
      },
    });
  }
  steps.push({
    name: 'fit',
    async run(c) {
      c.chosen = { ...c.chosen, dates: c.chosen.dates ?? c.loaded!.train.dates };
      c.trained = trainTable(c.fitFrame!, c.testFrame ?? null, c.chosen);
      const r = c.trained.result;
      await run.logMetrics(resultMetrics(r));
      if (r.excluded.length) await run.logParams({ excluded_columns: r.excluded.map((e) => `${e.column} (${e.reason})`).join(', ') });
      stage('fit and evaluate', `${t.model}, ${r.n_train.toLocaleString('en-US')} rows, ${r.n_features} features`);
      return { rows: r.n_train, note: `${scoreName(t.task)} ${scoreOf(r).toPrecision(4)} on ${r.n_test} test rows` };
    },
  });
  if (opts.cv !== undefined) {
    steps.push({
      // the chosen recipe, cross-validated on the training rows (the test rows stay out)
      name: 'cross-validate',
      async run(c) {
        c.cv = await crossValidateTable(c.fitFrame!, c.chosen, opts.cv!);
        for (const f of c.cv.folds) await run.logMetrics(Object.fromEntries(Object.entries(f.metrics).map(([k, v]) => [`cv_${k}`, v])), f.fold);
        await run.logMetrics({
          ...Object.fromEntries(Object.entries(c.cv.mean).map(([k, v]) => [`cv_${k}_mean`, v])),
          ...Object.fromEntries(Object.entries(c.cv.std).map(([k, v]) => [`cv_${k}_std`, v])),
        });
        stage('cross-validate', `${c.cv.folds.length} folds`);
        return { rows: c.cv.folds.length };
      },
    });
  }
  steps.push({
    name: 'save',
    async run(c) {
      const text = artifactJson(c.trained!.pipeline.toJSON());
      const info = await run.logArtifact('model.json', Buffer.from(text, 'utf8'));
      c.artifact = { text, sha256: info.sha256 };
      stage('save', `model.json, ${(Buffer.byteLength(text) / 1024).toFixed(0)} KB`);
      return { note: `model.json sha256 ${info.sha256.slice(0, 12)}` };
    },
  });
  if (opts.register) {
    steps.push({
      name: 'register',
      async run(c) {
        const r = c.trained!.result;
        const snapshots = c.loaded!.snapshots;
        const columns = [...c.loaded!.train.columns.keys()].filter((col) => col !== t.target);
        const source = (s: TrainSource) => (s.kind === 'file'
          ? `file ${s.path} (sha256 ${c.fileSha.get(s.path)})`
          : `lake table ${s.table} snapshot ${snapshots.find((x) => x.table === s.table)?.snapshot}`);
        c.registered = await registry.registerModel(opts.register!, {
          artifact: c.artifact!.text,
          runId: run.id,
          metrics: resultMetrics(r),
          params: { task: t.task, model: t.model, target: t.target, seed: t.seed ?? 0, ...hyperParams(c.chosen) },
          lineage: { snapshots, seed: t.seed ?? 0, configHash: p.cfgHash },
          by: opts.by,
          card: {
            description: `A ${t.task} model (${t.model}) predicting \`${t.target}\`, trained by \`tributary train ${t.task}\`.`,
            intendedUse: `Scoring rows with the same columns as its training ` +
              `table${t.task === 'classification' ? ` (classes: ${r.task === 'classification' ? r.classes.join(', ') : ''})` : ''}; ` +
              `validate on fresh data before promoting.`,
            data: `${r.n_train} training rows and ${r.n_test} test rows ` +
              `(${sources.test ? `test from ${source(sources.test)}` : searching ? 'a seeded hold-out, never seen by the search' : 'a seeded 80/20 split'}) ` +
              `from ${source(sources.data)}` +
              (r.n_dropped ? `; ${r.n_dropped} rows without a target skipped` : '') + '.',
            features: columns,
            target: t.target,
            ...opts.card,
          },
        });
        await run.setTags({ registered_model: c.registered.name, registered_version: String(c.registered.version) });
        stage('register', `${c.registered.name} v${c.registered.version}`);
        return { note: `${c.registered.name} v${c.registered.version}` };
      },
    });
  }
  return steps;
}

/**
 * A tracked training as a named pipeline on the runner (`train`, or `trial` for a worker's
 * search trial): each step a child run, the whole a leased run per training config (two
 * different trainings may run at once, the same one never twice at once).
 */
function trainDefinition(p: TrainPlan): PipelineDefinition<TrainCtx, TrackedTrainResult> {
  return {
    name: p.opts.pipeline ?? 'train',
    description: 'a tracked training: load, search, fit, cross-validate, save, register',
    plan(env) {
      return { steps: trainSteps(p, env.ws, env.run), ctx: { fileSha: new Map(), chosen: { ...p.opts.train }, outcomes: [] }, params: p.params };
    },
    result(c, env) {
      return {
        runId: env.runId, result: c.trained!.result, pipeline: c.trained!.pipeline, artifact: c.artifact!.text, artifactSha256: c.artifact!.sha256,
        snapshots: c.loaded!.snapshots, configHash: p.cfgHash, trials: c.outcomes, chosen: c.chosen, registered: c.registered, ...(c.cv ? { cv: c.cv } : {}),
      };
    },
  };
}

/** The `train` pipeline as `tributary pipeline list` shows it (runs come from `tributary train`). */
export const trainPipeline: PipelineDefinition<TrainCtx, TrackedTrainResult> = {
  name: 'train',
  description: 'a tracked training (tributary train): load, search, fit, cross-validate, save, register',
  plan(env) {
    const opts = env.args as unknown as TrackedTrainOptions;
    if (!opts.train || !opts.data) throw new TrackingError('the train pipeline needs args.train (task, target, model) and args.data');
    return trainDefinition(planTraining(opts)).plan(env);
  },
  result(c, env) {
    return trainDefinition(planTraining(env.args as unknown as TrackedTrainOptions)).result!(c, env);
  },
};

export async function trainTracked(config: Config, opts: TrackedTrainOptions): Promise<TrackedTrainResult> {
  const p = planTraining(opts);
  const ws = await openWorkspace({ config, pins: opts.pins ?? {} });
  try {
    const def = trainDefinition(p);
    const r = await executePipeline(ws, def, { step: opts.train.task, tags: p.tags, leaseKey: `${def.name}:${p.cfgHash}`, log: () => {} });
    return r.result;
  } catch (e) {
    // the step's own error (its type and words), not the runner's wrapping of it
    throw e instanceof PipelineError ? e.cause : e;
  } finally {
    await ws.close();
  }
}
