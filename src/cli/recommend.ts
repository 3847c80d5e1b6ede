// `tributary recommend ...`: offline evaluation of the recommenders on user,item,weight files.
import type { Command } from 'commander';
import { readInteractionsCsv } from '../ml/recsys/csv.ts';
import { evaluateModels, type EvaluationRow } from '../ml/recsys/evaluate.ts';
import { RECOMMENDER_KINDS, type RecommenderKind } from '../ml/recsys/registry.ts';
import { fail, printJson, printTable } from './output.ts';

interface EvaluateOpts {
  train: string; test: string; model: string; tune?: boolean; json?: boolean; seed: string;
  factors?: string; iterations?: string; alpha?: string; reg?: string; cgSteps?: string; threads?: string;
  dtype?: string; lambda?: string; k?: string;
}

export function register(program: Command): void {
  const rec = program.command('recommend').description('recommenders: offline evaluation');
  rec.command('evaluate')
    .description('fit recommenders on TRAIN and score their top-N lists against TEST (columns user,item,weight)')
    .requiredOption('--train <file>', 'training interactions CSV')
    .requiredOption('--test <file>', 'held-out interactions CSV')
    .option('--model <name>', `${RECOMMENDER_KINDS.join('|')}|all`, 'all')
    .option('--tune', 'pick hyper-parameters on a per-user holdout of the training file (never the test file)')
    .option('--json', 'one JSON object per model')
    .option('--seed <n>', 'seed for ALS init and the tuning holdout', '0')
    .option('--factors <n>', 'ALS latent factors (default 64)')
    .option('--iterations <n>', 'ALS iterations (default 15)')
    .option('--alpha <x>', 'ALS confidence slope: c = 1 + alpha * weight (default 1)')
    .option('--reg <x>', 'ALS L2 regularisation (default 0.1)')
    .option('--cg-steps <n>', 'ALS conjugate-gradient steps per row (default 3)')
    .option('--threads <n>', 'ALS worker threads (default: one per core)')
    .option('--dtype <t>', 'ALS factor storage: float32|float64')
    .option('--lambda <x>', 'EASE L2 regularisation (default 200)')
    .option('--k <n>', 'item-kNN neighbours per item (default 100)')
    .action(async (o: EvaluateOpts) => {
      const models = (o.model === 'all' ? [...RECOMMENDER_KINDS] : o.model.split(',').map((s) => s.trim())) as RecommenderKind[];
      for (const m of models) if (!RECOMMENDER_KINDS.includes(m)) fail(`--model: unknown model "${m}" (known: ${RECOMMENDER_KINDS.join(', ')}, all)`);
      const seed = int('--seed', o.seed)!;
      const als = prune({
        factors: int('--factors', o.factors), iterations: int('--iterations', o.iterations), alpha: num('--alpha', o.alpha),
        regularization: num('--reg', o.reg), cgSteps: int('--cg-steps', o.cgSteps), threads: int('--threads', o.threads), dtype: o.dtype, seed,
      });
      const params = { als, ease: prune({ lambda: num('--lambda', o.lambda) }), 'item-knn': prune({ k: int('--k', o.k) }), popularity: {} };
      const train = readInteractionsCsv(o.train);
      const test = readInteractionsCsv(o.test);
      const rows: EvaluationRow[] = [];
      await evaluateModels(train, test, {
        models, tune: o.tune, params, seed,
        onRow: (r) => {
          rows.push(r);
          if (o.json) {
            printJson({
              model: r.model, fit_s: round(r.fit_s, 3), ndcg10: round(r.ndcg10, 4), recall20: round(r.recall20, 4),
              precision10: round(r.precision10, 4), map10: round(r.map10, 4), coverage: round(r.coverage, 4),
              users: r.users, cold_users: r.coldUsers, params: r.params,
              ...(r.tuning ? { tuning: r.tuning.map((t) => ({ params: t.params, ndcg10: round(t.ndcg10, 4), recall20: round(t.recall20, 4) })) } : {}),
            });
          }
        },
      });
      if (!o.json) {
        printTable(rows.map((r) => ({
          model: r.model, fit_s: round(r.fit_s, 3), 'ndcg@10': round(r.ndcg10, 4), 'recall@20': round(r.recall20, 4),
          'precision@10': round(r.precision10, 4), 'map@10': round(r.map10, 4), coverage: round(r.coverage, 4), users: r.users,
          params: Object.entries(r.params).filter(([k]) => !['seed', 'threads', 'dtype', 'confidence'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' '),
        })));
      }
    });
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) fail(`${flag}: expected an integer, got "${v}"`);
  return n;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail(`${flag}: expected a number, got "${v}"`);
  return n;
}

function prune(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const round = (x: number, d: number) => Number(x.toFixed(d));
