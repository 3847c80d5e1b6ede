// RandomForest, 100 trees, on ~54,000 diamonds-like rows (numeric + one-hot categoricals):
// ours (histogram trees in worker threads) against scikit-learn RandomForestRegressor(n_jobs=2).
// Target (issue 3): fit time at most half of scikit-learn's, test RMSE within 1%.
import { compareRegression } from './data/regression-bench.ts';
import { RandomForestRegressor } from '../src/ml/tree/index.ts';

const threads = Number(process.env.TRIBUTARY_THREADS) || 2;
await compareRegression('random forest (100 trees), diamonds-like', 'sklearn.RandomForest(100,n_jobs=2)',
  `tributary.RandomForest(100,threads=${threads})`,
  () => new RandomForestRegressor({ nEstimators: 100, nJobs: threads, seed: 0 }), 0.5);
