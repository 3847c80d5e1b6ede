// `tributary train regression|classification`: fit a model on a table and score it. The work is
// trainTable() (src/ml/pipeline/train.ts); this file parses options, loads files, prints.
import type { Command } from 'commander';
import { loadTable } from '../features/table-loader.ts';
import { CLASSIFICATION_MODELS, REGRESSION_MODELS, trainTable, type TrainOptions } from '../ml/pipeline/train.ts';
import { fail, printJson, printTable } from './output.ts';

interface Opts { data: string; target: string; test?: string; model: string; trees?: string; rounds?: string; depth?: string; alpha?: string; seed: string; json?: boolean; save?: string }

function int(flag: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`${flag} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`${flag} must be a number, got "${v}"`);
  return n;
}

async function run(task: 'regression' | 'classification', o: Opts): Promise<void> {
  const opts: TrainOptions = {
    task, target: o.target, model: o.model, trees: int('--trees', o.trees, 1), rounds: int('--rounds', o.rounds, 1),
    depth: int('--depth', o.depth, 0), alpha: num('--alpha', o.alpha), seed: int('--seed', o.seed, 0),
  };
  const models: readonly string[] = task === 'regression' ? REGRESSION_MODELS : CLASSIFICATION_MODELS;
  if (!models.includes(o.model)) fail(`--model: unknown ${task} model "${o.model}" (choose ${models.join(', ')})`);
  try {
    const train = await loadTable(o.data);
    const test = o.test ? await loadTable(o.test) : null;
    const { result, pipeline } = trainTable(train, test, opts);
    if (o.save) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(o.save, JSON.stringify(pipeline.toJSON()));
    }
    if (o.json) {
      printJson(result);
      return;
    }
    const rows = task === 'regression' && result.task === 'regression'
      ? [{ model: result.model, fit_s: result.fit_s, rmse: result.rmse, mae: result.mae, r2: result.r2 }]
      : result.task === 'classification' ? [{ model: result.model, fit_s: result.fit_s, accuracy: result.accuracy, log_loss: result.log_loss, auc: result.auc }] : [];
    printTable(rows);
    console.log(`${result.n_train} training rows, ${result.n_test} test rows${o.test ? '' : ' (seeded 80/20 split)'}, ${result.n_features} encoded features` +
      (result.n_dropped ? `, ${result.n_dropped} rows without a target skipped` : '') + (o.save ? `; model saved to ${o.save}` : ''));
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
      .requiredOption('--data <file>', 'training table (.csv, .tsv, .parquet, optionally .gz)')
      .requiredOption('--target <column>', 'column to predict')
      .option('--test <file>', 'test table with the same columns')
      .option('--model <name>', models.join('|'), task === 'regression' ? 'ridge' : 'logistic')
      .option('--trees <n>', 'random-forest trees (default 100)')
      .option('--rounds <n>', 'boosting rounds (default 100)')
      .option('--depth <n>', 'maximum tree depth (forest default: unlimited; gbdt default: 6)')
      .option('--alpha <x>', task === 'regression' ? 'ridge L2 penalty (default 1)' : 'logistic regression C, inverse L2 strength (default 1)')
      .option('--seed <n>', 'seed for the split and the model', '0')
      .option('--save <file>', 'write the fitted pipeline (encoder + model) as JSON')
      .option('--json', 'print one JSON object')
      .action((o: Opts) => run(task, o));
  }
}
