// Monitoring of the like model (`music-like`): the feature rows it answered through the API (the
// audit log, served.ts) against the seeded sample of its training rows it carries, feature by
// feature, and its served probabilities against its probabilities on those training rows.
// Live quality, where the labels have arrived: the served (user, track) questions whose user
// then liked the track (a like after the model's features_as_of instant, once a week of likes
// past it has arrived) give the log loss of what was served, against the model's held-out log loss.
import { sqlString } from '../lake/duck.ts';
import { logLoss } from '../ml/metrics/classification.ts';
import { LIKE_FEATURES } from '../analytics/music/like-features.ts';
import { LikeModel, type LikeArtifact } from '../analytics/music/like-model.ts';
import { buildModels } from '../warehouse/models.ts';
import type { Probe } from './probes.ts';
import { AUDIT_TABLE, numericColumn, servedRows } from './served.ts';

/** days of likes after the features' instant before the served answers are scored */
const LABEL_DAYS = 7;

export const likeProbe: Probe = async ({ config, wh }, champion) => {
  const model = LikeModel.fromJSON(champion.artifact as LikeArtifact);
  const served = await servedRows(wh, champion.name, champion.version, { recentDays: config.monitoring.recentDays });
  if (served.rows === 0) throw new Error(`${champion.name} v${champion.version} has answered no request in the audit ` +
    `log (${AUDIT_TABLE}) yet: nothing served to compare with its training rows`);
  const d = LIKE_FEATURES.length, ref = model.reference.X;
  const column = (j: number) => Float64Array.from({ length: ref.rows }, (_, i) => ref.data[i * d + j]!);
  const quality = await servedLogLoss(wh, champion.name, champion.version, model.state.asOf);
  const trained = Number(champion.metrics.log_loss);
  return {
    features: LIKE_FEATURES.map((name, j) => ({ name, ref: { numeric: column(j) }, cur: { numeric: numericColumn(served.columns.get(name) ?? []) } })),
    predictions: { ref: model.reference.p, cur: Float64Array.from(served.predictions) },
    quality: quality && quality.n >= config.monitoring.minRows && trained > 0 ? [{
      metric: 'log_loss_ratio', value: quality.logLoss / trained, threshold: config.monitoring.rmseRatioMax, higherIsWorse: true, n: quality.n,
      details: { served_log_loss: quality.logLoss, training_log_loss: trained, liked_share: quality.liked },
    }] : [],
    window: {
      reference: `${ref.rows} training rows (cutoff ${model.cutoff})`,
      served_requests: served.requests,
      served_rows: served.rows,
      served_from: served.from,
      served_until: served.until,
    },
  };
};

/** Log loss of the served (user, track) probabilities against likes that came after the features' instant. */
async function servedLogLoss(wh: Parameters<Probe>[0]['wh'], name: string, version: number, asOf: string): Promise<{
  logLoss: number;
  n: number;
  liked: number;
} | null> {
  if (!wh.snapshots.has('raw.like')) return null;
  await buildModels(wh, { only: ['curated.likes'] });
  // labels take time: only once the likes reach a week past the features' instant
  const [span] = await wh.query<{ ok: boolean }>(`SELECT coalesce(max(ts) >= TIMESTAMPTZ ${sqlString(asOf)} + ` +
    `INTERVAL ${LABEL_DAYS} DAY, false) AS ok FROM curated.likes`);
  if (!span?.ok) return null;
  const rows = await wh.query<{ p: number; liked: boolean }>(`
    WITH answers AS (
      SELECT unnest(from_json(response::JSON -> 'predictions', '[{"user_id":"VARCHAR","track_id":"VARCHAR","probability":"DOUBLE"}]')) AS a
      FROM ${AUDIT_TABLE} WHERE model = ${sqlString(name)} AND version = ${Number(version)} AND status = 200
    ), pairs AS (
      SELECT a.user_id, a.track_id, avg(a.probability) AS p FROM answers WHERE a.user_id IS NOT NULL AND a.track_id IS NOT NULL GROUP BY 1, 2
    )
    SELECT p.p::DOUBLE AS p, EXISTS (SELECT 1 FROM curated.likes l WHERE l.user_id = p.user_id AND l.track_id = p.track_id
      AND l.ts >= TIMESTAMPTZ ${sqlString(asOf)}) AS liked FROM pairs p ORDER BY p.user_id, p.track_id`);
  if (!rows.length) return null;
  const y = Float64Array.from(rows, (r) => (r.liked ? 1 : 0));
  return { logLoss: logLoss(y, Float64Array.from(rows, (r) => Number(r.p))), n: rows.length, liked: y.reduce((a, b) => a + b, 0) / y.length };
}
