// Retraining recipe of the music recommender (src/monitoring/retrain.ts runs the gate). The
// holdout is the newest `holdoutDays` days of listening: the (user, track) pairs first heard
// with a positive strength there, new to the user before the window and never part of the
// champion's training data (neither model can have seen them). The challenger, the champion's
// recommender kind and parameters, is fitted on every day before the window; both rank the
// holdout users' unheard tracks and are scored by NDCG@10. The registered challenger is then
// refitted on every day (the newest data) as the playlist model the API serves.
import { buildTruth, evaluateRanking } from '../../ml/recsys/evaluate.ts';
import { Interactions } from '../../ml/recsys/interactions.ts';
import { createRecommender, type RecommenderKind } from '../../ml/recsys/registry.ts';
import type { LoadedModel } from '../../tracking/index.ts';
import { buildModels } from '../../warehouse/models.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import type { Challenger } from '../../monitoring/retrain.ts';
import { MUSIC_MODELS, loadInteractions, positives, type InteractionRows } from './features.ts';
import { buildPlaylistModel } from './playlist-build.ts';
import { PlaylistModel } from './playlist.ts';

const DAY_MS = 86_400_000;

async function triples(wh: Warehouse, sql: string): Promise<InteractionRows> {
  const rows = await wh.query<{ user_id: string; track_id: string; strength: number }>(sql);
  return { users: rows.map((r) => r.user_id), items: rows.map((r) => r.track_id), weights: Float64Array.from(rows, (r) => Number(r.strength)) };
}

export async function retrainRecommender(
  ws: { wh: Warehouse },
  champion: LoadedModel,
  opts: { seed: number; log: (m: string) => void; holdoutDays?: number },
): Promise<Challenger> {
  const wh = ws.wh;
  const old = PlaylistModel.fromJSON(champion.artifact as never);
  const kind = old.recommender.kind as RecommenderKind;
  const { model: _m, playlist, ...params } = champion.params as Record<string, unknown>;
  await buildModels(wh, { only: MUSIC_MODELS });
  const [r] = await wh.query<{ hi: Date | null; lo: Date | null }>(`SELECT max(day) AS hi, min(day) AS lo FROM curated.music_interactions_daily`);
  if (!r?.hi) throw new Error('retrain music-recommender: curated.music_interactions_daily is empty');
  const days = opts.holdoutDays ?? 7;
  const start = new Date(new Date(r.hi).getTime() - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  const before = `SELECT user_id, track_id, sum(strength)::DOUBLE AS strength FROM curated.music_interactions_daily WHERE day < DATE '${start}' GROUP BY 1, 2`;
  const heardBefore = await triples(wh, `${before} ORDER BY 1, 2`);
  const trainPos = positives(heardBefore);
  if (trainPos.users.length === 0) throw new Error(`retrain music-recommender: no listening before the holdout's first day ${start}`);
  const test = await triples(wh, `
    SELECT d.user_id, d.track_id, sum(d.strength)::DOUBLE AS strength FROM curated.music_interactions_daily d
    WHERE d.day >= DATE '${start}' AND NOT EXISTS (SELECT 1 FROM (${before}) b WHERE b.user_id = d.user_id AND b.track_id = d.track_id)
    GROUP BY 1, 2 HAVING sum(d.strength) > 0 ORDER BY 1, 2`);
  // pairs the champion trained on are left out for both: it could not recommend them
  const champData = old.recommender.data!;
  const keep: number[] = [];
  for (let k = 0; k < test.users.length; k++) {
    const u = champData.userIndex.get(test.users[k]!), i = champData.itemIndex.get(test.items[k]!);
    if (u !== undefined && i !== undefined) {
      const { indptr, indices } = champData.byUser;
      let seen = false;
      for (let p = indptr[u]!; p < indptr[u + 1]! && !seen; p++) seen = indices[p] === i;
      if (seen) continue;
    }
    keep.push(k);
  }
  const holdout = { users: keep.map((k) => test.users[k]!), items: keep.map((k) => test.items[k]!), weights: Float64Array.from(keep, (k) => test.weights[k]!) };
  if (holdout.users.length === 0) throw new Error(`retrain music-recommender: the holdout (days from ${start}) has no new listening to score on`);
  opts.log(`music-recommender: challenger ${kind} fitted on ${trainPos.users.length} pairs before ${start}; ` +
    `holdout ${holdout.users.length} pairs of ${new Set(holdout.users).size} users`);
  const trainData = Interactions.fromTriples(trainPos);
  const challenger = await createRecommender(kind, { ...params, seed: opts.seed }).fit(trainData);
  const ch = evaluateRanking(challenger, trainData, buildTruth(trainData, holdout));
  const cm = evaluateRanking(old.recommender, champData, buildTruth(champData, holdout));

  // the version to serve: the same recipe on every day
  const heard = await loadInteractions(wh);
  const full = await createRecommender(kind, { ...params, seed: opts.seed }).fit(Interactions.fromTriples(positives(heard)));
  const model = await buildPlaylistModel(wh, full, heard, (playlist ?? {}) as never, champion.name);
  const snapshots = ['raw.play', 'raw.like', 'raw.skip', 'curated.music_interactions', 'curated.music_user_genres']
    .filter((t) => wh.snapshots.has(t)).map((t) => ({ table: t, snapshot: wh.snapshots.get(t)! }));
  return {
    metric: 'ndcg10', lowerIsBetter: false, championScore: cm.ndcg10, challengerScore: ch.ndcg10,
    holdout: `${holdout.users.length} new (user, track) pairs of ${ch.users} users heard from ${start} to ${new Date(r.hi).toISOString().slice(0, 10)}`,
    snapshots, details: { champion_recall20: cm.recall20, challenger_recall20: ch.recall20, holdout_start: start },
    register: {
      artifact: model.toJSON(),
      metrics: { ndcg10: ch.ndcg10, recall20: ch.recall20, champion_ndcg10: cm.ndcg10 },
      params: { model: kind, ...params, playlist: model.params, data_end: new Date(r.hi).toISOString().slice(0, 10) },
      lineage: { seed: opts.seed, config: { model: kind, params, playlist: model.params } },
      card: { description: `"Recommended for you" playlists (${kind}), retrained on the newest listening.` },
    },
  };
}
