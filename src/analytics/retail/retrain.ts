// Retraining recipes of the retail models (src/monitoring/retrain.ts runs the gate):
// - retail-spend: the champion's model kind fitted on the newest stacked cutoffs; champion and
//   challenger both predict the newest holdout (customers' spend in the 90 days after the
//   latest cutoff with a full window), scored by RMSE; the champion reads its own feature
//   columns by name (a new category or country is a column it never had: 0).
// - retail-segments: the champion's k range re-scanned on the newest customers; both
//   partitions of those customers scored by silhouette in the challenger's feature space (the
//   champion assigns each customer through its own scaler and centres).
import type { Matrix } from '../../ml/core/matrix.ts';
import { silhouette } from '../../ml/metrics/clustering.ts';
import { rmse, mae, r2 } from '../../ml/metrics/regression.ts';
import type { LoadedModel } from '../../tracking/index.ts';
import { buildModels } from '../../warehouse/models.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { rfmTable } from './features.ts';
import { fitRegressor, regressorFromJSON, type ModelName } from './models.ts';
import { COMMERCE_MODELS, COMMERCE_PUBLISHED } from './commerce-models.ts';
import { SegmentModel, segmentCustomers } from './segments.ts';
import { spendData } from './spend.ts';

interface Recipe<T> { (ws: { wh: Warehouse }, champion: LoadedModel, opts: { seed: number; log: (m: string) => void }): Promise<T> }

interface SpendArtifact {
  kind: 'RetailSpendModel';
  model: ModelName;
  features: string[];
  categories: string[];
  countries: string[];
  horizon_days: number;
  estimator: unknown;
}

const snapshotsOf = (wh: Warehouse) => ['raw.order_line', 'curated.commerce_lines'].filter((t) => wh.snapshots.has(t)).map((t) => ({
  table: t,
  snapshot: wh.snapshots.get(t)!,
}));

/** The columns `to` of rows laid out as `from` (missing columns 0). */
export function selectColumns(X: Matrix, from: string[], to: string[]): Matrix {
  const idx = to.map((f) => from.indexOf(f));
  const out = new Float64Array(X.rows * to.length);
  for (let i = 0; i < X.rows; i++) idx.forEach((j, k) => { if (j >= 0) out[i * to.length + k] = X.data[i * X.cols + j]!; });
  return { rows: X.rows, cols: to.length, data: out };
}

export const retrainSpend: Recipe<import('../../monitoring/retrain.ts').Challenger> = async (ws, champion, { seed, log }) => {
  const art = champion.artifact as SpendArtifact;
  await buildModels(ws.wh, { only: COMMERCE_MODELS, publish: COMMERCE_PUBLISHED });
  const d = await spendData(ws.wh, { horizonDays: art.horizon_days ?? 90 });
  log(`retail-spend: ${d.Xtr.rows} training rows over ${d.trainCutoffs.length} cutoffs, holdout ${d.testCustomers} customers after ${d.cutoff}`);
  const challenger = fitRegressor(art.model, d.Xtr, d.ytr, { seed });
  const clip = (p: Float64Array) => p.map((v) => Math.max(0, v));
  const pNew = clip(challenger.predict(d.Xte));
  const pOld = clip(regressorFromJSON(art.model, art.estimator).predict(selectColumns(d.Xte, d.features, art.features)));
  const baseline = rmse(d.yte, d.last90);
  return {
    metric: 'rmse', lowerIsBetter: true, championScore: rmse(d.yte, pOld), challengerScore: rmse(d.yte, pNew),
    holdout: `spend of ${d.testCustomers} customers in the ${d.horizon} days after ${d.cutoff.slice(0, 10)}`,
    snapshots: snapshotsOf(ws.wh),
    details: { champion_mae: mae(d.yte, pOld), baseline_rmse: baseline, train_rows: d.Xtr.rows },
    register: {
      artifact: {
        kind: 'RetailSpendModel',
        model: art.model,
        features: d.features,
        categories: d.categories,
        countries: d.countries,
        horizon_days: d.horizon,
        estimator: challenger.toJSON(),
      },
      metrics: { rmse: rmse(d.yte, pNew), mae: mae(d.yte, pNew), r2: r2(d.yte, pNew), baseline_rmse: baseline },
      params: { model: art.model, cutoff: d.cutoff, train_cutoff: d.trainCutoffs[0]!, horizon_days: d.horizon },
      lineage: { seed, config: { model: art.model, features: d.features, cutoff: d.cutoff } },
      card: {
        description: `Customer spend in the next ${d.horizon} days (${art.model}), retrained on the newest order lines.`,
        features: d.features,
        target: `spend_next_${d.horizon}d`,
      },
    },
  };
};

export const retrainSegments: Recipe<import('../../monitoring/retrain.ts').Challenger> = async (ws, champion, { seed, log }) => {
  const old = SegmentModel.fromJSON(champion.artifact);
  await buildModels(ws.wh, { only: COMMERCE_MODELS, publish: COMMERCE_PUBLISHED });
  const t = await rfmTable(ws.wh);
  const kRange = (champion.params.k_range as [number, number] | undefined) ?? [3, 8];
  log(`retail-segments: ${t.ids.length} customers, k in ${kRange.join('..')}`);
  const seg = await segmentCustomers(t, { seed, kRange, tsneSamples: 200, tsneIter: 150 });
  // the champion's segment for each of today's customers, through its own featurisation
  const nc = t.categories.length;
  const oldLabels = Int32Array.from(t.ids, (_, i) => {
    const mix: Record<string, number> = {};
    t.categories.forEach((c, j) => { if (old.state.categories.includes(c)) mix[c] = Math.min(1, Math.max(0, t.mix.data[i * nc + j]!)); });
    return old.matchProfile(
      { recency: Math.max(0, t.rfm.data[3 * i]!), frequency: Math.max(0, t.rfm.data[3 * i + 1]!), monetary: Math.max(0, t.rfm.data[3 * i + 2]!), mix },
      0,
    ).segment;
  });
  const sNew = silhouette(seg.X, seg.labels, { seed }), sOld = new Set(oldLabels).size > 1 ? silhouette(seg.X, oldLabels, { seed }) : -1;
  return {
    metric: 'silhouette', lowerIsBetter: false, championScore: sOld, challengerScore: sNew,
    holdout: `today's ${t.ids.length} customers, both partitions in the challenger's feature space`,
    snapshots: snapshotsOf(ws.wh),
    details: { champion_k: old.state.k, challenger_k: seg.k },
    register: {
      artifact: seg.model.toJSON(),
      metrics: { silhouette: sNew, k: seg.k },
      params: { k: seg.k, features: seg.features, k_range: kRange },
      lineage: { seed, config: { features: seg.features, kRange } },
      card: {
        description: `Customer segments (KMeans, k=${seg.k}) over log-RFM and category mix, retrained on the newest order lines.`,
        features: seg.features,
      },
    },
  };
};
