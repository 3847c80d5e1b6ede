// `tributary train regression|classification`: fit a model on a table (a file or a lake table at
// a pinned snapshot) and score it; every invocation is a tracked run, `--register NAME` makes the
// model a registry version, `--search` runs a grid search as child runs. The work is
// trainTracked() (src/pipeline/train.ts); this file parses options and prints.
import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { CLASSIFICATION_MODELS, REGRESSION_MODELS, type TrainOptions } from '../ml/pipeline/train.ts';
import { parseCv } from '../ml/pipeline/cross-validate-table.ts';
import { parseSearch, trainStageCount, trainTracked } from '../pipeline/train.ts';
import { parsePins } from '../warehouse/workspace.ts';
import { fail, printJson, printTable, progress, usage } from './output.ts';

interface Opts {
  data: string; target: string; test?: string; model: string; trees?: string; rounds?: string; depth?: string; alpha?: string; seed: string;
  json?: boolean; save?: string; register?: string; snapshot?: string[]; search?: string[]; by?: string; intendedUse?: string; description?: string;
  features?: string; drop?: string; scale?: string; cv?: string; trials?: string;
}

const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((x) => x.trim()).filter(Boolean));

function int(flag: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`${flag} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) usage(`${flag} must be a number, got "${v}"`);
  return n;
}

async function run(task: 'regression' | 'classification', o: Opts): Promise<void> {
  const opts: TrainOptions = {
    task, target: o.target, model: o.model, trees: int('--trees', o.trees, 1), rounds: int('--rounds', o.rounds, 1),
    depth: int('--depth', o.depth, 0), alpha: num('--alpha', o.alpha), seed: int('--seed', o.seed, 0),
    features: list(o.features), drop: list(o.drop),
  };
  if (o.scale !== undefined) {
    if (o.scale !== 'standard' && o.scale !== 'minmax' && o.scale !== 'none') fail(`--scale must be standard, minmax or none, got "${o.scale}"`);
    opts.scale = o.scale;
  }
  // `--search random depth=3,6 ...`: a mode word (grid | random) among the NAME=values specs
  const specs = (o.search ?? []).filter((x) => x !== 'grid' && x !== 'random');
  const searchMode = (o.search ?? []).includes('random') ? 'random' as const : 'grid' as const;
  if (o.search && specs.length === 0) fail('--search needs at least one NAME=v1,v2 (e.g. --search random depth=3,6,9 trees=50,100)');
  const models: readonly string[] = task === 'regression' ? REGRESSION_MODELS : CLASSIFICATION_MODELS;
  if (!models.includes(o.model)) usage(`--model: unknown ${task} model "${o.model}" (choose ${models.join(', ')})`);
  try {
    const search = parseSearch(specs), cv = o.cv === undefined ? undefined : parseCv(o.cv);
    // a line per stage on stderr as it ends, so a long fit is not a silent one
    const bar = progress('train', trainStageCount({ search, cv, register: o.register }));
    const tracked = await trainTracked(loadConfig(), {
      train: opts, data: o.data, test: o.test, pins: parsePins(o.snapshot), search, searchMode, trials: int('--trials', o.trials, 1),
      cv, register: o.register, by: o.by,
      card: { ...(o.description ? { description: o.description } : {}), ...(o.intendedUse ? { intendedUse: o.intendedUse } : {}) },
      onStage: (s, note) => bar.step(s, note),
    });
    bar.done(`run ${tracked.runId}`);
    const { result } = tracked;
    if (o.save) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(o.save, tracked.artifact);
    }
    const registered = tracked.registered
      ? { name: tracked.registered.name, version: tracked.registered.version, aliases: tracked.registered.aliases, sha256: tracked.registered.sha256 }
      : undefined;
    if (o.json) {
      printJson({
        ...result, run_id: tracked.runId, artifact_sha256: tracked.artifactSha256, config_hash: tracked.configHash, snapshots: tracked.snapshots,
        ...(tracked.trials.length ? { trials: tracked.trials, chosen: tracked.chosen } : {}), ...(registered ? { registered } : {}),
        ...(tracked.cv ? { cv: tracked.cv } : {}),
      });
      return;
    }
    if (tracked.trials.length) {
      printTable(tracked.trials.map((tr) => ({ trial_run: tr.runId, ...tr.params, validation: tr.error ? `failed: ${tr.error}` : tr.score })));
    }
    const rows = task === 'regression' && result.task === 'regression'
      ? [{ model: result.model, fit_s: result.fit_s, rmse: result.rmse, mae: result.mae, r2: result.r2 }]
      : result.task === 'classification'
        ? [{ model: result.model, fit_s: result.fit_s, accuracy: result.accuracy, log_loss: result.log_loss, auc: result.auc }]
        : [];
    printTable(rows);
    if (tracked.cv) {
      console.log(`cross-validation on the training rows, ${tracked.cv.cv}:`);
      printTable([
        ...tracked.cv.folds.map((f) => ({ fold: f.fold, n_train: f.n_train, n_test: f.n_test, ...f.metrics })),
        { fold: 'mean', ...tracked.cv.mean }, { fold: 'std', ...tracked.cv.std },
      ]);
    }
    console.log(`features: ${result.features.join(', ')}` +
      (result.excluded.length ? `; excluded: ${result.excluded.map((e) => `${e.column} (${e.reason}: ${e.detail})`).join(', ')}` : ''));
    console.log(`${result.n_train} training rows, ${result.n_test} test rows${o.test ? '' : ' (seeded 80/20 split)'}, ${result.n_features} encoded features` +
      (result.n_dropped ? `, ${result.n_dropped} rows without a target skipped` : '') + (o.save ? `; model saved to ${o.save}` : ''));
    if (tracked.snapshots.length) console.log(`read ${tracked.snapshots.map((s) => `${s.table}@${s.snapshot}`).join(', ')}`);
    console.log(`run ${tracked.runId}` +
      (registered ? `; registered ${registered.name} v${registered.version}${registered.aliases.length ? ` (${registered.aliases.join(', ')})` : ''}` : ''));
  } catch (e) {
    fail((e as Error).message);
  }
}

export function register(program: Command): void {
  const train = program.command('train').description('train a model on a CSV/TSV/Parquet table and score it');
  for (const task of ['regression', 'classification'] as const) {
    const models = task === 'regression' ? REGRESSION_MODELS : CLASSIFICATION_MODELS;
    train.command(task)
      .description(task === 'regression'
        ? 'fit a regressor; prints fit seconds, RMSE, MAE and R2 on the test file (or a seeded 80/20 split)'
        : 'fit a classifier; prints fit seconds, accuracy, log loss and ROC AUC on the test file (or a seeded 80/20 split)')
      .requiredOption('--data <source>', 'training table: a file (.csv, .tsv, .parquet, optionally .gz) or lake:zone.table')
      .requiredOption('--target <column>', 'column to predict')
      .option('--test <source>', 'test table with the same columns (file or lake:zone.table)')
      .option('--snapshot <table@n...>', 'read lake tables at these snapshots, e.g. raw.spend@3 (default: current; recorded either way)')
      .option('--model <name>', models.join('|'), task === 'regression' ? 'ridge' : 'logistic')
      .option('--trees <n>', 'random-forest trees (default 100)')
      .option('--rounds <n>', 'boosting rounds (default 100)')
      .option('--depth <n>', 'maximum tree depth (forest default: unlimited; gbdt default: 6)')
      .option('--alpha <x>', task === 'regression' ? 'ridge L2 strength alpha (default 1)' : 'logistic regression L2 strength alpha = 1 / C (default 1)')
      .option(
        '--features <a,b,...>',
        'use exactly these feature columns (default: all but the target, --drop, identifier-like and constant columns, which are reported)',
      )
      .option('--drop <a,b,...>', 'leave these columns out')
      .option('--scale <standard|minmax|none>', 'scale numeric features (fitted on the training rows)')
      .option(
        '--cv <k|time>',
        'cross-validate the final recipe on the training rows: k folds (stratified for classification) or time (5 ' +
          'expanding windows in date order); per-fold metrics and their spread',
      )
      .option('--trials <n>', 'with --search random: how many trials to draw (default 10)')
      .option('--seed <n>', 'seed for the split and the model', '0')
      .option('--save <file>', 'write the fitted pipeline (encoder + model) as JSON')
      .option('--register <name>', 'register the model in the registry (its first version becomes champion)')
      .option(
        '--search <spec...>',
        '[grid|random] NAME=v1,v2 ... over trees|rounds|depth|alpha|learning-rate; trials run in parallel worker ' +
          'threads, are child runs and are scored on a validation split of the training rows',
      )
      .option('--by <who>', 'who registers (default: TRIBUTARY_USER or the OS user)')
      .option('--description <text>', 'model card: what the model predicts')
      .option('--intended-use <text>', 'model card: intended use')
      .option('--json', 'print one JSON object')
      .action((o: Opts) => run(task, o));
  }
}
