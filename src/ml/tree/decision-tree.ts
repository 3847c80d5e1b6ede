// Single decision trees: a forest of one tree on all rows (no bootstrap), in the main thread.
import type { Matrix } from '../core/matrix.ts';
import type { SerializedEstimator } from '../core/estimator.ts';
import { checkXy, resolveParams } from '../core/estimator.ts';
import { TreeClassifierBase, TreeRegressorBase, encodeClasses, type TreeState } from './base.ts';
import { FOREST_DEFAULTS, fitForest, validateForestParams, type ForestParams } from './random-forest.ts';

export interface DecisionTreeParams {
  /** 0 = no limit */
  maxDepth: number;
  /** 0 = no limit; otherwise best-first growth up to this many leaves */
  maxLeaves: number;
  minSamplesLeaf: number;
  /** null = all features; 'sqrt' | 'log2' | fraction | count drawn at each node */
  maxFeatures: number | 'sqrt' | 'log2' | null;
  maxBins: number;
  seed: number;
}

const DEFAULTS: DecisionTreeParams = { maxDepth: 0, maxLeaves: 0, minSamplesLeaf: 1, maxFeatures: null, maxBins: 256, seed: 0 };

function asForest(p: DecisionTreeParams): ForestParams {
  return { ...FOREST_DEFAULTS, ...p, maxFeatures: p.maxFeatures ?? 1, nEstimators: 1, bootstrap: false, nJobs: 1 };
}

export class DecisionTreeRegressor extends TreeRegressorBase<DecisionTreeParams> {
  readonly kind = 'DecisionTreeRegressor';

  constructor(params: Partial<DecisionTreeParams> = {}) {
    super(resolveParams('DecisionTreeRegressor', DEFAULTS, params));
    validateForestParams(this.kind, asForest(this.params));
  }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    this.setEnsemble(fitForest(this.kind, asForest(this.params), X, y, 'regression', 1), null);
    return this;
  }

  static fromJSON(json: SerializedEstimator<DecisionTreeParams, TreeState>): DecisionTreeRegressor {
    return new DecisionTreeRegressor(json.params).loadState(json);
  }
}

export class DecisionTreeClassifier extends TreeClassifierBase<DecisionTreeParams> {
  readonly kind = 'DecisionTreeClassifier';

  constructor(params: Partial<DecisionTreeParams> = {}) {
    super(resolveParams('DecisionTreeClassifier', DEFAULTS, params));
    validateForestParams(this.kind, asForest(this.params));
  }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    const { classes, index } = encodeClasses(this.kind, y);
    this.setEnsemble(fitForest(this.kind, asForest(this.params), X, index, 'classification', classes.length), classes);
    return this;
  }

  static fromJSON(json: SerializedEstimator<DecisionTreeParams, TreeState>): DecisionTreeClassifier {
    return new DecisionTreeClassifier(json.params).loadState(json);
  }
}
