// Grid and random search over hyper-parameters, each trial a full cross-validation. Trials run
// in parallel on worker threads (one per core by default, data shared, not copied); with
// threads = 1 they run in this thread. Both rank by the scorer's direction and report every
// trial, the best parameters, and the best estimator refitted on all rows.
import { InvalidParameterError } from '../core/errors.ts';
import type { Matrix } from '../core/matrix.ts';
import { Rng } from '../core/rng.ts';
import { threadPool } from '../../util/thread-pool.ts';
import { defaultThreads } from '../../util/workers.ts';
import { createSupervised, type SupervisedModel } from '../registry.ts';
import { crossValidate, type CvResult } from './cross-validate.ts';
import { getScorer } from './scoring.ts';
import type { Split } from './splits.ts';

const SEARCH_TASKS = new URL('./search-worker.ts', import.meta.url);

export interface Trial extends Partial<CvResult> { params: Record<string, unknown>; error?: string }
export interface SearchResult {
  trials: Trial[];
  bestParams: Record<string, unknown>;
  bestScore: number;
  bestIndex: number;
  best: SupervisedModel | null;
  scoring: string;
  seconds: number;
}
export interface SearchOptions { kind: string; baseParams?: Record<string, unknown>; folds: Split[]; scoring: string; threads?: number; refit?: boolean }

/** Every combination of the listed values, in a fixed order (last key varies fastest). */
export function parameterGrid(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) throw new InvalidParameterError(`parameter grid: "${k}" needs a non-empty list of values`);
    out = out.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  }
  return out;
}

export type Distribution = unknown[] | { uniform: [number, number] } | { logUniform: [number, number] } | { intRange: [number, number] };

/** nIter seeded draws: lists are sampled uniformly, ranges as named. */
export function parameterSample(space: Record<string, Distribution>, nIter: number, seed = 0): Record<string, unknown>[] {
  const rng = new Rng(seed);
  return Array.from({ length: nIter }, () => {
    const p: Record<string, unknown> = {};
    for (const [k, d] of Object.entries(space)) {
      if (Array.isArray(d)) p[k] = d[rng.int(d.length)];
      else if ('uniform' in d) p[k] = d.uniform[0] + rng.random() * (d.uniform[1] - d.uniform[0]);
      else if ('logUniform' in d) p[k] = Math.exp(Math.log(d.logUniform[0]) + rng.random() * (Math.log(d.logUniform[1]) - Math.log(d.logUniform[0])));
      else if ('intRange' in d) p[k] = d.intRange[0] + rng.int(d.intRange[1] - d.intRange[0] + 1);
      else throw new InvalidParameterError(`random search: "${k}" has an unknown distribution`);
    }
    return p;
  });
}

export async function gridSearch(X: Matrix, y: Float64Array, grid: Record<string, unknown[]>, opts: SearchOptions): Promise<SearchResult> {
  return runSearch(X, y, parameterGrid(grid), opts);
}

export async function randomSearch(
  X: Matrix,
  y: Float64Array,
  space: Record<string, Distribution>,
  nIter: number,
  opts: SearchOptions & { seed?: number },
): Promise<SearchResult> {
  return runSearch(X, y, parameterSample(space, nIter, opts.seed ?? 0), opts);
}

async function runSearch(X: Matrix, y: Float64Array, candidates: Record<string, unknown>[], opts: SearchOptions): Promise<SearchResult> {
  const scorer = getScorer(opts.scoring);
  const full = candidates.map((c) => ({ ...(opts.baseParams ?? {}), ...c }));
  // fail fast on a bad parameter, before any worker starts
  for (const p of full) createSupervised(opts.kind, p);
  const t0 = performance.now();
  const threads = Math.min(opts.threads ?? defaultThreads(), full.length);
  const trials: Trial[] = threads > 1 ? await runInWorkers(X, y, full, opts, threads)
    : full.map((params) => {
      try { return { params, ...crossValidate({ kind: opts.kind, params }, X, y, opts.folds, opts.scoring) }; } catch (e) {
        return { params, error: (e as Error).message };
      }
    });
  let bestIndex = -1;
  trials.forEach((t, i) => {
    if (t.mean === undefined || Number.isNaN(t.mean)) return;
    const b = bestIndex >= 0 ? trials[bestIndex]!.mean! : undefined;
    if (b === undefined || (scorer.greaterIsBetter ? t.mean > b : t.mean < b)) bestIndex = i;
  });
  if (bestIndex < 0) throw new InvalidParameterError(`search: every trial failed (first error: ${trials[0]?.error})`);
  const bestParams = trials[bestIndex]!.params;
  const best = opts.refit === false ? null : createSupervised(opts.kind, bestParams).fit(X, y);
  return { trials, bestParams, bestScore: trials[bestIndex]!.mean!, bestIndex, best, scoring: opts.scoring, seconds: (performance.now() - t0) / 1000 };
}

async function runInWorkers(X: Matrix, y: Float64Array, candidates: Record<string, unknown>[], opts: SearchOptions, threads: number): Promise<Trial[]> {
  const xs = new SharedArrayBuffer(X.data.byteLength), ys = new SharedArrayBuffer(y.byteLength);
  new Float64Array(xs).set(X.data); new Float64Array(ys).set(y);
  const crew = await threadPool().hold(threads, SEARCH_TASKS);
  try {
    await crew.broadcast('setData', { X: xs, y: ys, rows: X.rows, cols: X.cols, folds: opts.folds, kind: opts.kind, scoring: opts.scoring });
    const scored = await crew.map<CvResult & { error?: string }>('trial', candidates);
    return scored.map((r, k) => ({ params: candidates[k]!, ...r }));
  } finally {
    await crew.broadcast('setData', null).catch(() => {});
    crew.release();
  }
}
