// Monitoring of any `tributary train --register` model (a Pipeline, regression or classifier,
// trained on a lake table). Reference: the table at the exact snapshot its training run read
// (its lineage), through a warehouse pinned there. Current: the feature rows it answered through
// the API (the audit log, served.ts) when there are at least minRows of them, otherwise the
// rows the table gained since that snapshot (new lake data). Predictions: the model's on the
// reference against what it served (or its answers on the new rows). Live quality: the new rows
// carry the target once it is known, so the model's error on them is compared with its
// training error (RMSE, or log loss for a classifier).
import type { Frame } from '../ml/core/frame.ts';
import { getColumn, takeFrameRows } from '../ml/data/frame-ops.ts';
import { loadTable } from '../features/table-loader.ts';
import { rmse } from '../ml/metrics/regression.ts';
import type { Pipeline } from '../ml/pipeline/pipeline.ts';
import { loadEstimator } from '../ml/registry.ts';
import { viewName, Warehouse } from '../warehouse/session.ts';
import type { MetaStore } from '../metadata/db.ts';
import type { LoadedModel } from '../tracking/index.ts';
import type { Probe, Sample } from './probes.ts';
import { AUDIT_TABLE, numericColumn, servedRows } from './served.ts';

/** One number per row: the regression value, or the probability of the last class. */
function outputs(p: Pipeline, frame: Frame): Float64Array {
  if (p.params.task === 'regression') return Float64Array.from(p.predict(frame));
  const P = p.predictProba(frame);
  return Float64Array.from({ length: frame.length }, (_, i) => P.data[i * P.cols + P.cols - 1]!);
}

/** Mean log loss of the true labels under a classifier pipeline's class probabilities. */
export function labelLogLoss(p: Pipeline, frame: Frame, labels: string[]): number {
  const P = p.predictProba(frame), classes = p.classes;
  let ll = 0;
  labels.forEach((l, i) => { const k = classes.indexOf(l); ll -= Math.log(Math.max(k >= 0 ? P.data[i * P.cols + k]! : 0, 1e-15)); });
  return ll / labels.length;
}

const sampleOf = (c: ReturnType<typeof getColumn>): Sample => (c instanceof Float64Array ? { numeric: c } : { categorical: c });

/** The data a `train --register` model's run read (`lake:zone.table` or a file), from its params or its run's. */
export async function trainedDataSource(store: MetaStore, champion: LoadedModel): Promise<string | undefined> {
  if (typeof champion.params.data === 'string') return champion.params.data;
  const run = champion.runId ? await store.db.selectFrom('tracking_params').select(['key', 'value']).where('run_id', '=', champion.runId).execute() : [];
  return run.find((r) => r.key === 'data')?.value;
}

export const trainedProbe: Probe = async ({ config, lake, wh, store }, champion) => {
  const data = (await trainedDataSource(store, champion)) ?? '';
  if (!data.startsWith('lake:')) throw new Error(`${champion.name}: trained on ${data || 'no recorded source'}; only ` +
    `models trained on a lake table (lake:zone.table) have a snapshot to compare with`);
  const table = data.slice(5);
  const snap = champion.lineage.snapshots.find((s) => s.table === table);
  if (!snap) throw new Error(`${champion.name}: its lineage names no snapshot of ${table}`);
  const p = loadEstimator(champion.artifact, 'Pipeline');
  const target = String(champion.params.target ?? '');
  const inputs = p.encoder.inputs;
  const names = inputs.map((f) => f.name);

  // the training snapshot, read through a warehouse pinned at it (never what the table holds now)
  const pinned = await Warehouse.open({ lake, pins: { [table]: snap.snapshot } });
  let ref: Frame;
  try {
    ref = await loadTable({ sql: `SELECT * FROM ${viewName(table)}` }, { connection: pinned.conn, columns: [...names, target] });
  } finally { pinned.close(); }

  // the rows the table gained since: files of the current snapshot the training snapshot did not
  // have, less the rows a merge has deleted on read since
  await wh.refresh();
  const added = await lake.readAddedSql(table, snap.snapshot);
  const fresh = added ? await loadTable({ sql: added }, { connection: wh.conn, columns: [...names, target] }) : null;

  const served = await servedRows(wh, champion.name, champion.version, { recentDays: config.monitoring.recentDays });
  const useServed = served.rows >= config.monitoring.minRows || !fresh?.length;
  if (useServed && served.rows === 0) throw new Error(`${champion.name} v${champion.version}: no answers in the audit ` +
    `log (${AUDIT_TABLE}) and no rows added to ${table} since snapshot ${snap.snapshot}: nothing recent to compare with`);
  const features = inputs.map((f) => {
    const r = sampleOf(getColumn(ref, f.name));
    if (!useServed) return { name: f.name, ref: r, cur: sampleOf(getColumn(fresh!, f.name)) };
    const v = served.columns.get(f.name) ?? [];
    return {
      name: f.name,
      ref: r,
      cur: f.kind === 'numeric' ? { numeric: numericColumn(v, f.date) } : { categorical: v.map((x) => (x === null ? null : String(x))) },
    };
  });

  // live quality on the new rows whose target is known
  const quality = [];
  if (fresh?.length && target) {
    const y = getColumn(fresh, target);
    const keep: number[] = [];
    for (let i = 0; i < fresh.length; i++) if (y[i] !== null && !(typeof y[i] === 'number' && Number.isNaN(y[i]))) keep.push(i);
    const labelled = takeFrameRows(fresh, keep);
    const trained = Number(p.params.task === 'regression' ? champion.metrics.rmse : champion.metrics.log_loss);
    if (labelled.length >= 20 && trained > 0) {
      let value: number;
      if (p.params.task === 'regression') value = rmse(Float64Array.from(getColumn(labelled, target) as Float64Array), p.predict(labelled));
      else value = labelLogLoss(p, labelled, Array.from(getColumn(labelled, target) as ArrayLike<unknown>, String));
      const metric = p.params.task === 'regression' ? 'rmse' : 'log_loss';
      quality.push({
        metric: `${metric}_ratio`, value: value / trained, threshold: config.monitoring.rmseRatioMax, higherIsWorse: true, n: labelled.length,
        details: { [`realised_${metric}`]: value, [`training_${metric}`]: trained, rows: `added to ${table} since snapshot ${snap.snapshot}` },
      });
    }
  }
  return {
    features,
    predictions: { ref: outputs(p, ref), cur: useServed ? Float64Array.from(served.predictions) : outputs(p, fresh!) },
    quality,
    window: {
      reference: `${table}@${snap.snapshot} (${ref.length} rows)`,
      current: useServed
        ? `${served.rows} served rows of ${served.requests} audited answers (${served.from} .. ${served.until})`
        : `${fresh!.length} rows added to ${table} since snapshot ${snap.snapshot}`,
    },
  };
};
