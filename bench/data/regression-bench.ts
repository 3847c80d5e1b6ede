// Shared body of the tree regression benchmarks: diamonds-like data, a seeded 80/20 split
// written as CSVs, the anchor (scikit-learn / XGBoost) on those files, and ours on the same rows.
import { benchOut, report, runAnchor, speedup, timeIt } from '../lib.ts';
import { mae, r2, rmse } from '../../src/ml/metrics/regression.ts';
import type { Matrix } from '../../src/ml/core/matrix.ts';
import { writeDiamondsSplit } from './diamonds.ts';
import { loadEncoded, type Encoded } from './csv.ts';
import { verdict } from './verdict.ts';

export interface OursModel { fit(X: Matrix, y: Float64Array): unknown; predict(X: Matrix): Float64Array }

/** maxTimeRatio: our fit seconds / the anchor's must be at most this; RMSE at most 1% above the anchor's. */
export async function compareRegression(title: string, anchorModel: string, ourName: string, make: () => OursModel, maxTimeRatio: number): Promise<void> {
  const paths = writeDiamondsSplit(benchOut);
  console.log(`data: ${paths.train} / ${paths.test} (target price)`);
  const anchor = runAnchor('regression_sklearn.py', [paths.train, 'price', paths.test]);
  const a = anchor.find((r) => r.model === anchorModel);
  if (!a) throw new Error(`anchor printed no ${anchorModel} line: ${JSON.stringify(anchor)}`);
  const d: Encoded = loadEncoded(paths.train, paths.test, 'price');
  const model = make();
  const { s } = await timeIt(() => model.fit(d.Xtr, d.ytr));
  const p = model.predict(d.Xte);
  const ours = { fit_s: s, rmse: rmse(d.yte, p), mae: mae(d.yte, p), r2: r2(d.yte, p) };
  report(title, [
    { name: anchorModel, fit_s: a.fit_s, rmse: a.rmse, mae: a.mae, r2: a.r2 },
    {
      name: ourName,
      fit_s: Number(ours.fit_s.toFixed(3)),
      rmse: Number(ours.rmse.toFixed(3)),
      mae: Number(ours.mae.toFixed(3)),
      r2: Number(ours.r2.toFixed(5)),
    },
    {
      name: 'ratio (anchor / ours)',
      fit_speedup: speedup(a.fit_s, ours.fit_s),
      fit_time_ratio: Number((ours.fit_s / a.fit_s).toFixed(3)),
      rmse_ratio: Number((ours.rmse / a.rmse).toFixed(4)),
    },
  ]);
  verdict(title, [
    { what: 'fit time ours / anchor', value: ours.fit_s / a.fit_s, target: maxTimeRatio, cmp: '<=' },
    { what: 'test RMSE ours / anchor (within 1%)', value: ours.rmse / a.rmse, target: 1.01, cmp: '<=' },
  ]);
}

