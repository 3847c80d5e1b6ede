// Every product model's retraining recipe, by its artifact's kind: the retail spend model and
// segmentation, the music recommender and like model (src/analytics), and the generic
// `tributary train --register` models (a Pipeline: the same task, model and hyper-parameters on
// the newest snapshot of the lake table it was trained on, champion and challenger scored on
// one seeded test split of that snapshot).
import { getColumn, takeFrameRows, dropColumns } from '../ml/data/frame-ops.ts';
import { loadTable } from '../features/table-loader.ts';
import { rmse } from '../ml/metrics/index.ts';
import { loadEstimator } from '../ml/registry.ts';
import { trainTable, type TrainOptions } from '../ml/pipeline/train.ts';
import { trainTestSplit } from '../ml/selection/splits.ts';
import { viewName } from '../warehouse/session.ts';
import { retrainSegments, retrainSpend } from '../analytics/retail/retrain.ts';
import { retrainRecommender } from '../analytics/music/retrain.ts';
import { retrainLike } from '../analytics/music/like-retrain.ts';
import { artifactJson } from '../tracking/lineage.ts';
import type { Challenger, Retrainer } from './retrain.ts';
import { labelLogLoss, trainedDataSource } from './probe-trained.ts';

export const RECIPES: Record<string, Retrainer> = {
  RetailSpendModel: retrainSpend,
  RetailSegmentModel: retrainSegments,
  'music-playlist': retrainRecommender,
  'music-like': retrainLike,
  Pipeline: retrainTrained,
};

/** A `train --register` model: its run's data source and options, on the source's newest snapshot. */
async function retrainTrained(ws: Parameters<Retrainer>[0], champion: Parameters<Retrainer>[1], { seed, log }: Parameters<Retrainer>[2]): Promise<Challenger> {
  const data = await trainedDataSource(ws.store, champion);
  if (!data?.startsWith('lake:')) throw new Error(`retrain ${champion.name}: its training run ` +
    `read ${data ?? 'no recorded source'}; only lake tables (lake:zone.table) have newer data to retrain on`);
  const table = data.slice(5);
  const p = champion.params as Record<string, unknown>;
  const num = (k: string) => (typeof p[k] === 'number'
    ? p[k] as number
    : p[k] !== undefined && p[k] !== null && p[k] !== '' && Number.isFinite(Number(p[k])) ? Number(p[k]) : undefined);
  const opts: TrainOptions = {
    task: p.task as TrainOptions['task'], target: String(p.target), model: String(p.model), seed,
    trees: num('trees'), rounds: num('rounds'), depth: num('depth'), alpha: num('alpha'), learningRate: num('learningRate'),
  };
  await ws.wh.refresh();
  const snap = ws.wh.snapshots.get(table);
  if (snap === undefined) throw new Error(`retrain ${champion.name}: lake table ${table} is not in the catalog`);
  const select = `SELECT * FROM ${viewName(table)}`;
  const columns = (await ws.wh.describe(select)).map((c) => c.name).filter((c) => c !== 'dt');
  const frame = await loadTable({ sql: select }, { connection: ws.wh.conn, columns });
  const split = trainTestSplit(frame.length, { testSize: 0.2, seed });
  const train = takeFrameRows(frame, split.train), test = takeFrameRows(frame, split.test);
  log(`${champion.name}: ${train.length} training and ${test.length} holdout rows of ${table}@${snap}`);
  const { result, pipeline } = trainTable(train, test, opts);
  // the champion on the challenger's test rows (those with a target)
  const y = getColumn(test, opts.target);
  const keep: number[] = [];
  for (let i = 0; i < test.length; i++) if (y[i] !== null && !(typeof y[i] === 'number' && Number.isNaN(y[i] as number))) keep.push(i);
  const t2 = takeFrameRows(test, keep);
  const X = dropColumns(t2, [opts.target]);
  const old = loadEstimator(champion.artifact, 'Pipeline');
  let metric: string, champ: number, chal: number;
  if (opts.task === 'regression') {
    const yt = Float64Array.from(getColumn(t2, opts.target) as ArrayLike<number>, Number);
    metric = 'rmse'; champ = rmse(yt, old.predict(X)); chal = result.task === 'regression' ? result.rmse : NaN;
  } else {
    metric = 'log_loss';
    champ = labelLogLoss(old, X, Array.from(getColumn(t2, opts.target) as ArrayLike<unknown>, String));
    chal = result.task === 'classification' ? result.log_loss : NaN;
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(result)) if (typeof v === 'number') metrics[k] = v;
  return {
    metric, lowerIsBetter: true, championScore: champ, challengerScore: chal,
    holdout: `a seeded 20% of ${table}@${snap} (${t2.length} rows)`,
    snapshots: [{ table, snapshot: snap }],
    register: {
      artifact: artifactJson(pipeline.toJSON()), metrics,
      params: Object.fromEntries(Object.entries({
        data,
        task: opts.task,
        model: opts.model,
        target: opts.target,
        seed,
        trees: opts.trees,
        rounds: opts.rounds,
        depth: opts.depth,
        alpha: opts.alpha,
        learningRate: opts.learningRate,
      }).filter(([, v]) => v !== undefined)),
      lineage: { seed, config: { ...opts, data } },
      card: { description: `A ${opts.task} model (${opts.model}) predicting \`${opts.target}\`, retrained on ${table}@${snap}.`, target: opts.target },
    },
  };
}
