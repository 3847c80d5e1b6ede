// What monitoring reads for each kind of served model: the reference (the training snapshot)
// and the current sample of every input feature, the model's outputs on both (prediction
// drift), and live quality where the labels arrive later. Probes only gather numbers; the
// thresholds and alerts are applied in monitor.ts, the same for every model.
import type { Config } from '../config/index.ts';
import type { Lake } from '../lake/lake.ts';
import type { MetaStore } from '../metadata/db.ts';
import { sqlString } from '../lake/duck.ts';
import { rmse } from '../ml/metrics/regression.ts';
import type { LoadedModel } from '../tracking/index.ts';
import { buildModels } from '../warehouse/models.ts';
import { Warehouse } from '../warehouse/session.ts';
import { customerFeaturesAt, rfmTable } from '../analytics/retail/features.ts';
import { regressorFromJSON, type ModelName } from '../analytics/retail/models.ts';
import { COMMERCE_MODELS, COMMERCE_PUBLISHED } from '../analytics/retail/commerce-models.ts';
import { selectColumns } from '../analytics/retail/retrain.ts';
import { spendData, withSeason } from '../analytics/retail/spend.ts';
import { MUSIC_MODELS, modelSqlAsOf } from '../analytics/music/features.ts';
import { likeProbe } from './probe-like.ts';
import { trainedProbe } from './probe-trained.ts';
import { numericColumn, servedRows } from './served.ts';

export interface Sample { numeric?: ArrayLike<number>; categorical?: (string | null)[] }

/**
 * Features that move with the customer base's age and the season in any growing history (how
 * long customers have been here, how long since they last bought, lifetime counts, category and
 * country mix): reported, but they raise no alert; spending is watched through the value
 * features (ticket, spend, lifetime value) and the model's predictions.
 */
export const SPEND_LIFECYCLE = /^(recency_days|tenure_days|frequency|last_90d_invoices|mix_.*|country_.*|recency)$/;

export interface ProbeResult {
  /** per feature: reference (training snapshot) and current samples */
  features: { name: string; ref: Sample; cur: Sample; alerting?: boolean }[];
  /** the model's outputs on the reference and current rows */
  predictions?: { ref: ArrayLike<number>; cur: ArrayLike<number> };
  /** live quality: value, threshold and direction */
  quality: { metric: string; value: number; threshold: number; higherIsWorse: boolean; n: number; details?: Record<string, unknown> }[];
  window: Record<string, unknown>;
}

export interface ProbeContext { config: Config; lake: Lake; wh: Warehouse; store: MetaStore }
export type Probe = (ctx: ProbeContext, champion: LoadedModel) => Promise<ProbeResult>;

const DAY_MS = 86_400_000;

/** the lake table the spend model's customer features are computed from */
const SPEND_SOURCE = 'curated.commerce_lines';

interface SpendArtifact { model: ModelName; features: string[]; categories: string[]; countries: string[]; horizon_days: number; estimator: unknown }

/**
 * retail-spend: the customer features at the champion's cutoff, computed from the exact snapshot
 * of the sales lines its training read (lineage: a warehouse pinned there, so late or corrected
 * data since cannot move the reference), against what the API served (the feature rows of its
 * audited answers) when there are enough of them, else the features at the newest cutoff;
 * realised spend (the label arrives horizon days later) against the training RMSE.
 */
export const spendProbe: Probe = async ({ config, lake, wh }, champion) => {
  const art = champion.artifact as SpendArtifact;
  await buildModels(wh, { only: COMMERCE_MODELS, publish: COMMERCE_PUBLISHED });
  const d = await spendData(wh, { horizonDays: art.horizon_days ?? 90 });
  const refCut = new Date(String(champion.params.cutoff ?? d.cutoff));
  const snap = champion.lineage.snapshots.find((s) => s.table === SPEND_SOURCE);
  const pinned = snap ? await Warehouse.open({ lake, pins: { [SPEND_SOURCE]: snap.snapshot } }) : wh;
  let ref;
  try {
    [ref] = await customerFeaturesAt(pinned, [refCut], { categories: art.categories, countries: art.countries });
  } finally { if (pinned !== wh) pinned.close(); }
  const Xref = withSeason(ref!.X, refCut);
  const cols = [...ref!.columns, 'cutoff_month_sin', 'cutoff_month_cos'];
  const Xcur = selectColumns(d.Xte, d.features, cols);
  const est = regressorFromJSON(art.model, art.estimator);
  const clip = (p: Float64Array) => p.map((v) => Math.max(0, v));
  const pRef = clip(est.predict(selectColumns(Xref, cols, art.features)));
  const pCur = clip(est.predict(selectColumns(Xcur, cols, art.features)));
  const column = (X: { rows: number; cols: number; data: Float64Array }, j: number) => Float64Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + j]!);
  const served = await servedRows(wh, champion.name, champion.version, { recentDays: config.monitoring.recentDays });
  const useServed = served.rows >= config.monitoring.minRows;
  // realised spend (the label arrives horizon days later) against the champion's training RMSE
  const realised = rmse(d.yte, pCur);
  const trained = Number(champion.metrics.rmse);
  return {
    features: cols.filter((c) => !c.startsWith('cutoff_month')).map((name) => {
      const j = cols.indexOf(name);
      return {
        name,
        ref: { numeric: column(Xref, j) },
        cur: { numeric: useServed ? numericColumn(served.columns.get(name) ?? []) : column(Xcur, j) },
        alerting: !SPEND_LIFECYCLE.test(name),
      };
    }),
    predictions: { ref: pRef, cur: useServed ? Float64Array.from(served.predictions) : pCur },
    quality: Number.isFinite(trained) && trained > 0 ? [{
      metric: 'rmse_ratio', value: realised / trained, threshold: config.monitoring.rmseRatioMax, higherIsWorse: true, n: d.yte.length,
      details: { realised_rmse: realised, training_rmse: trained, window: `${d.cutoff.slice(0, 10)} + ${d.horizon} days` },
    }] : [],
    window: {
      reference_cutoff: refCut.toISOString(), reference_snapshot: snap ? `${snap.table}@${snap.snapshot}` : null,
      current: useServed ? `${served.rows} served rows (${served.from} .. ${served.until})` : `customer features at ${d.cutoff}`,
    },
  };
};

/** retail-segments: the customers' RFM the champion was fitted on vs today's. */
export const segmentsProbe: Probe = async ({ wh }, champion) => {
  const st = (champion.artifact as { state: { rfm: number[] } }).state;
  await buildModels(wh, { only: COMMERCE_MODELS, publish: COMMERCE_PUBLISHED });
  const t = await rfmTable(wh);
  const col = (data: ArrayLike<number>, j: number) => Float64Array.from({ length: data.length / 3 }, (_, i) => data[3 * i + j]!);
  return {
    features: ['recency', 'frequency', 'monetary'].map((name, j) => ({
      name,
      ref: { numeric: col(st.rfm, j) },
      cur: { numeric: col(t.rfm.data, j) },
      alerting: !SPEND_LIFECYCLE.test(name),
    })),
    quality: [], window: { reference_customers: st.rfm.length / 3, current_customers: t.ids.length },
  };
};

/**
 * music-recommender: plays of the training snapshot (the champion's raw.play lineage) vs the
 * plays that came after it (or the last recentDays days when none did): genre, hour of day and
 * the share of the track heard; live quality: acceptance of the playlists shown recently.
 */
export const recommenderProbe: Probe = async ({ config, lake, wh }, champion) => {
  await buildModels(wh, { only: ['curated.plays', 'curated.skips', 'curated.likes', ...MUSIC_MODELS] });
  const snap = champion.lineage.snapshots.find((s) => s.table === 'raw.play');
  const read = snap ? await lake.readSql('raw.play', snap.snapshot) : null;
  const ids = read ? `(SELECT DISTINCT event_id FROM (${read}))` : null;
  const [b] = ids ? await wh.query<{ hi: Date | null }>(`SELECT max(p.ts) AS hi FROM curated.plays p WHERE p.event_id IN ${ids}`) : [{ hi: null }];
  const [all] = await wh.query<{ hi: Date | null }>(`SELECT max(ts) AS hi FROM curated.plays`);
  const end = all?.hi ? new Date(all.hi).getTime() : Date.now();
  const refEnd = b?.hi ? new Date(b.hi).getTime() : end - config.monitoring.recentDays * DAY_MS;
  const curFrom = refEnd < end ? refEnd : end - config.monitoring.recentDays * DAY_MS;
  // each play's genre affinity of its user as the training snapshot knew it (the feature the
  // playlists demote skipped genres by): tastes that move show up here first
  await wh.conn.run(`CREATE OR REPLACE TEMP TABLE monitor_user_genres AS ${modelSqlAsOf('curated.music_user_genres', new Date(refEnd + 1).toISOString())}`);
  const rows = (where: string) => wh.query<{ genre: string | null; hour: number; heard: number | null; affinity: number }>(
    `SELECT t.genre, p.hour_of_day::INT AS hour, (p.ms_played / nullif(p.duration_ms, 0))::DOUBLE AS heard, coalesce(a.affinity, 0)::DOUBLE AS affinity
     FROM curated.plays p LEFT JOIN curated.tracks t USING (track_id) LEFT JOIN monitor_user_genres a ON a.user_id = p.user_id AND a.genre = t.genre
     WHERE ${where}`);
  let ref, cur;
  try {
    ref = await rows(ids ? `p.event_id IN ${ids}` : `p.ts <= ${ts(refEnd)}`);
    cur = await rows(`p.ts > ${ts(curFrom)}`);
  } finally {
    await wh.conn.run('DROP TABLE IF EXISTS monitor_user_genres');
  }
  const num = (xs: typeof ref, k: 'hour' | 'heard' | 'affinity') => Float64Array.from(xs, (r) => (r[k] === null ? NaN : Number(r[k])));
  const [acc] = await wh.query<{ shown: number; accepted: number }>(
    `SELECT count(*)::INT AS shown, coalesce(sum(accepted::INT), 0)::INT AS accepted FROM curated.music_shown_tracks
     WHERE ts > ${ts(end - config.monitoring.recentDays * DAY_MS)} AND ts <= ${ts(end)}`);
  const shown = Number(acc?.shown ?? 0);
  return {
    features: [
      { name: 'genre', ref: { categorical: ref.map((r) => r.genre) }, cur: { categorical: cur.map((r) => r.genre) } },
      { name: 'hour_of_day', ref: { numeric: num(ref, 'hour') }, cur: { numeric: num(cur, 'hour') } },
      { name: 'share_heard', ref: { numeric: num(ref, 'heard') }, cur: { numeric: num(cur, 'heard') } },
      { name: 'user_genre_affinity', ref: { numeric: num(ref, 'affinity') }, cur: { numeric: num(cur, 'affinity') } },
    ],
    quality: shown >= config.monitoring.minShown ? [{
      metric: 'acceptance_rate', value: Number(acc!.accepted) / shown, threshold: config.monitoring.acceptanceMin, higherIsWorse: false, n: shown,
    }] : [],
    window: {
      reference_until: new Date(refEnd).toISOString(),
      current_from: new Date(curFrom).toISOString(),
      current_until: new Date(end).toISOString(),
      reference_snapshot: snap ?? null,
    },
  };
};

function ts(ms: number): string {
  return `TIMESTAMPTZ ${sqlString(new Date(ms).toISOString())}`;
}

export const PROBES: Record<string, Probe> = {
  RetailSpendModel: spendProbe,
  RetailSegmentModel: segmentsProbe,
  'music-playlist': recommenderProbe,
  'music-like': likeProbe,
  // every `tributary train --register` model
  Pipeline: trainedProbe,
};
