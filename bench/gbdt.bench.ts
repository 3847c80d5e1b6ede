// Gradient boosting, 300 rounds, depth 6, learning rate 0.1, on ~54,000 diamonds-like rows:
// ours (histogram GBDT) against XGBoost hist with 2 threads.
// Target (issue 3): fit time at most 1.5x XGBoost's, test RMSE within 1%.
import { compareRegression } from './data/regression-bench.ts';
import { GradientBoostingRegressor } from '../src/ml/tree/index.ts';

await compareRegression('gradient boosting (300 rounds, depth 6, lr 0.1), diamonds-like', 'xgboost.hist(300,depth6,nthread2)',
  'tributary.GradientBoosting(300,depth6)',
  () => new GradientBoostingRegressor({ nEstimators: 300, maxDepth: 6, learningRate: 0.1, seed: 0 }), 1.5);
