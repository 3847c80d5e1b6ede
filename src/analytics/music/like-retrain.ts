// The like model in the registry: how a fit becomes a version (metrics, params, lineage, card),
// and its retraining recipe for the gate (src/monitoring/retrain.ts). Champion and challenger
// are scored by log loss on the same rows: the challenger's held-out users after its (newest)
// cutoff, with the features as they were at that cutoff. Both classifiers read the same
// feature definition (like-features.ts), so the champion's scores on those rows are exactly
// what it would have answered.
import { logLoss } from '../../ml/metrics/classification.ts';
import type { LoadedModel, ModelRegistry } from '../../tracking/index.ts';
import type { SnapshotRef } from '../../tracking/lineage.ts';
import { buildModels } from '../../warehouse/models.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { gateDecision, type GateDecision } from '../../monitoring/gate.ts';
import type { Challenger } from '../../monitoring/retrain.ts';
import { MUSIC_MODELS } from './features.ts';
import { fitLikeModel, type LikeModelResult } from './likes.ts';
import { LIKE_MODEL_NAME, LikeModel, type LikeArtifact, type LikeRecipe } from './like-model.ts';

/** The lake tables a like model's data comes from (its lineage). */
export const LIKE_SOURCES = ['raw.play', 'raw.like', 'raw.skip', 'curated.tracks', 'curated.music_interactions'];

export function likeSnapshots(wh: Warehouse): SnapshotRef[] {
  return LIKE_SOURCES.filter((t) => wh.snapshots.has(t)).map((t) => ({ table: t, snapshot: wh.snapshots.get(t)! }));
}

/** A fit as a registry version: artifact, metrics, the recipe as params, lineage and card. */
export function likeRegistration(r: LikeModelResult, snapshots: SnapshotRef[]) {
  const recipe = r.model.recipe;
  return {
    artifact: r.model.toJSON(),
    metrics: {
      log_loss: r.log_loss, auc: r.auc, auc_als_only: r.auc_als_only, log_loss_base_rate: r.log_loss_base_rate,
      positive_rate: r.positive_rate, train_examples: r.train_examples, test_examples: r.test_examples,
    },
    params: { ...recipe, cutoff: r.cutoff, data_end: r.data_end },
    lineage: { snapshots, seed: recipe.seed, config: recipe as unknown as Record<string, unknown> },
    card: {
      description: 'The probability that a user likes (saves) a track: gradient boosting over the ALS score and ' +
        'listening features (track skip, completion and like rates, the user\'s genre affinity and hour profile, prior ' +
        'plays, the genre transition from the previous track). `POST /v1/predict/music-like`: user and track in, probability out.',
      data: `Examples: (user, track) pairs first played after ${r.cutoff.slice(0, 10)}, labelled by a like after it; ` +
        `features from the events before it. ${r.train_examples} training and ${r.test_examples} held-out examples ` +
        `(held-out users). Served with the features as of ${r.data_end}.`,
      features: [...r.features],
      target: 'liked (1) or not (0)',
      limitations: 'A user or track unknown at the end of its data gets the defaults of an unknown one (no ALS score, ' +
        'rates -1); the features are those of its data\'s end until it is retrained.',
    },
  };
}

/** The champion's log loss on another fit's held-out rows (features at that fit's cutoff). */
export function championLogLoss(champion: LoadedModel, holdout: LikeModelResult['holdout']): number {
  return logLoss(holdout.y, LikeModel.fromJSON(champion.artifact as LikeArtifact).probability(holdout.X));
}

/**
 * Registers a fit of the music pipeline. The first version becomes champion; a later one only
 * when its log loss beats the champion's on the same held-out rows by the margin, otherwise it
 * waits as challenger.
 */
export async function registerLikeModel(
  registry: ModelRegistry,
  r: LikeModelResult,
  opts: { snapshots: SnapshotRef[]; runId?: string; margin: number; by: string },
): Promise<{ version: number; champion: boolean; decision: GateDecision | null }> {
  const before = await registry.getChampionVersion(LIKE_MODEL_NAME);
  let decision: GateDecision | null = null;
  let retraining: string | undefined;
  if (before) {
    const champ = await registry.loadModel(LIKE_MODEL_NAME, before.version);
    decision = gateDecision({
      metric: 'log_loss',
      lowerIsBetter: true,
      champion: championLogLoss(champ, r.holdout),
      challenger: r.log_loss,
      margin: opts.margin,
    });
    retraining = `Fitted by the music pipeline next to champion v${before.version}. Decision: ${decision.reason}.`;
  }
  const reg = likeRegistration(r, opts.snapshots);
  const { version } = await registry.registerModel(LIKE_MODEL_NAME, {
    ...reg, card: { ...reg.card, ...(retraining ? { retraining } : {}) }, ...(opts.runId ? { runId: opts.runId } : {}), by: opts.by,
  });
  if (decision) await registry.promote(LIKE_MODEL_NAME, version, { alias: decision.promote ? 'champion' : 'challenger', by: opts.by, reason: decision.reason });
  return { version, champion: !decision || decision.promote, decision };
}

/** The retraining recipe: the champion's recipe on the newest data; both scored on the challenger's holdout. */
export async function retrainLike(ws: { wh: Warehouse }, champion: LoadedModel, opts: { seed: number; log: (m: string) => void }): Promise<Challenger> {
  const recipe = (champion.artifact as LikeArtifact).recipe as LikeRecipe;
  await buildModels(ws.wh, { only: ['curated.plays', 'curated.skips', 'curated.likes', ...MUSIC_MODELS] });
  const r = await fitLikeModel(ws.wh, { ...recipe, seed: opts.seed });
  const champ = championLogLoss(champion, r.holdout);
  opts.log(`${champion.name}: challenger fitted with cutoff ${r.cutoff.slice(0, 10)} on ${r.train_examples} examples; ${r.test_examples} held-out examples`);
  const snapshots = likeSnapshots(ws.wh);
  return {
    metric: 'log_loss', lowerIsBetter: true, championScore: champ, challengerScore: r.log_loss,
    holdout: `${r.test_examples} (user, track) pairs of held-out users first played from ${r.cutoff.slice(0, 10)} to ${r.data_end.slice(0, 10)}`,
    snapshots, details: { challenger_auc: r.auc, cutoff: r.cutoff, data_end: r.data_end },
    register: likeRegistration(r, snapshots),
  };
}
