// Random forests (bagged, fully grown trees with per-node feature sampling, as scikit-learn's),
// trained on binned data in worker threads, one per core.
import type { Matrix } from '../core/matrix.ts';
import type { SerializedEstimator } from '../core/estimator.ts';
import { checkXy, resolveParams } from '../core/estimator.ts';
import type { TreeEnsemble } from '../core/tree-model.ts';
import { defaultThreads } from '../../util/workers.ts';
import { buildBinnedData } from './dataset.ts';
import { growForest } from './parallel.ts';
import type { ForestJob } from './forest.ts';
import {
  TreeClassifierBase, TreeRegressorBase, checkInt, encodeClasses, resolveMaxFeatures, type TreeState,
} from './base.ts';

export interface ForestParams {
  nEstimators: number;
  /** 0 = grow until leaves are pure or hit minSamplesLeaf (scikit-learn's None) */
  maxDepth: number;
  /** 0 = no limit; otherwise trees grow best-first up to this many leaves */
  maxLeaves: number;
  minSamplesLeaf: number;
  /** null = all features (regressor) / 'sqrt' (classifier); 'sqrt' | 'log2' | fraction | count */
  maxFeatures: number | 'sqrt' | 'log2' | null;
  bootstrap: boolean;
  /** bins per feature (2..256); 256 (the most one byte holds) makes histogram splits match exact ones closely */
  maxBins: number;
  seed: number;
  /** worker threads; 0 = one per core (TRIBUTARY_THREADS overrides), 1 = no workers */
  nJobs: number;
}

export const FOREST_DEFAULTS: ForestParams = {
  nEstimators: 100, maxDepth: 0, maxLeaves: 0, minSamplesLeaf: 1, maxFeatures: null,
  bootstrap: true, maxBins: 256, seed: 0, nJobs: 0,
};

export function validateForestParams(kind: string, p: ForestParams): void {
  checkInt(kind, 'nEstimators', p.nEstimators, 1);
  checkInt(kind, 'maxDepth', p.maxDepth, 0);
  checkInt(kind, 'maxLeaves', p.maxLeaves, 0);
  if (p.maxLeaves === 1) checkInt(kind, 'maxLeaves', p.maxLeaves, 2);
  checkInt(kind, 'minSamplesLeaf', p.minSamplesLeaf, 1);
  checkInt(kind, 'maxBins', p.maxBins, 2);
  if (p.maxBins > 256) checkInt(kind, 'maxBins (<= 256)', 256 - p.maxBins, 0);
  checkInt(kind, 'seed', p.seed, 0);
  checkInt(kind, 'nJobs', p.nJobs, 0);
  resolveMaxFeatures(kind, p.maxFeatures, 1, 'all');
}

/** Fits a bagged ensemble; task classification expects y as class indices. */
export function fitForest(kind: string, p: ForestParams, X: Matrix, y: Float64Array, task: ForestJob['task'], nClasses: number): TreeEnsemble {
  const data = buildBinnedData(X, { maxBins: p.maxBins, seed: p.seed });
  const job: ForestJob = {
    task, y, nClasses, bootstrap: p.bootstrap, seed: p.seed,
    grow: {
      maxDepth: p.maxDepth > 0 ? p.maxDepth : Infinity,
      maxLeaves: p.maxLeaves,
      minSamplesLeaf: p.minSamplesLeaf,
      minChildWeight: 0,
      lambda: 0,
      minGain: 0,
      maxFeatures: resolveMaxFeatures(kind, p.maxFeatures, X.cols, task === 'regression' ? 'all' : 'sqrt'),
    },
  };
  const threads = p.nJobs > 0 ? p.nJobs : defaultThreads();
  const trees = growForest(data, job, p.nEstimators, threads);
  return { trees, aggregate: 'average', base: new Array(task === 'regression' ? 1 : nClasses).fill(0), postTransform: 'none', nFeatures: X.cols };
}

export class RandomForestRegressor extends TreeRegressorBase<ForestParams> {
  readonly kind = 'RandomForestRegressor';

  constructor(params: Partial<ForestParams> = {}) {
    super(resolveParams('RandomForestRegressor', FOREST_DEFAULTS, params));
    validateForestParams(this.kind, this.params);
  }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    this.setEnsemble(fitForest(this.kind, this.params, X, y, 'regression', 1), null);
    return this;
  }

  static fromJSON(json: SerializedEstimator<ForestParams, TreeState>): RandomForestRegressor {
    return new RandomForestRegressor(json.params).loadState(json);
  }
}

export class RandomForestClassifier extends TreeClassifierBase<ForestParams> {
  readonly kind = 'RandomForestClassifier';

  constructor(params: Partial<ForestParams> = {}) {
    super(resolveParams('RandomForestClassifier', FOREST_DEFAULTS, params));
    validateForestParams(this.kind, this.params);
  }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    const { classes, index } = encodeClasses(this.kind, y);
    this.setEnsemble(fitForest(this.kind, this.params, X, index, 'classification', classes.length), classes);
    return this;
  }

  static fromJSON(json: SerializedEstimator<ForestParams, TreeState>): RandomForestClassifier {
    return new RandomForestClassifier(json.params).loadState(json);
  }
}
