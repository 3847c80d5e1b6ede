// Top-N ranking metrics, defined exactly as ../shared/anchors/README.md (recsys_anchors.py):
// binary relevance; NDCG@10 with a log2 discount and ideal DCG over min(10, |test|);
// Recall@20 = hits in the top 20 / min(20, |test|). Added here in the same spirit:
// Precision@10 = hits in the top 10 / 10; MAP@10 = mean over users of
// AP@10 = sum_{k<=10, item k relevant} (hits in top k / k) / min(10, |test|).
// |test| counts every test item of the user, including items the training data never saw.

/** One user's held-out items: those known to the model (as indices) and the total count. */
export interface UserTruth { known: Set<number>; size: number }

export interface UserMetrics { ndcg10: number; recall20: number; precision10: number; map10: number }

const DISCOUNT = Float64Array.from({ length: 20 }, (_, k) => 1 / Math.log2(k + 2));

/** Metrics of one ranked list (best first, at least the top 20 when available). */
export function userMetrics(ranked: ArrayLike<number>, truth: UserTruth): UserMetrics {
  if (truth.size <= 0) throw new RangeError('userMetrics: a user without test items has no metrics');
  let dcg = 0, hits10 = 0, hits20 = 0, ap = 0;
  const len = Math.min(20, ranked.length);
  for (let k = 0; k < len; k++) {
    if (!truth.known.has(ranked[k]!)) continue;
    hits20++;
    if (k < 10) {
      hits10++;
      dcg += DISCOUNT[k]!;
      ap += hits10 / (k + 1);
    }
  }
  let idcg = 0;
  for (let k = 0; k < Math.min(10, truth.size); k++) idcg += DISCOUNT[k]!;
  return {
    ndcg10: dcg / idcg,
    recall20: hits20 / Math.min(20, truth.size),
    precision10: hits10 / 10,
    map10: ap / Math.min(10, truth.size),
  };
}

/** Averages over users plus catalogue coverage (distinct items in the top-10 lists / catalogue). */
export class MetricsAccumulator {
  private sums = { ndcg10: 0, recall20: 0, precision10: 0, map10: 0 };
  private users = 0;
  private shown: Uint8Array;

  constructor(private catalogue: number) {
    this.shown = new Uint8Array(catalogue);
  }

  add(ranked: ArrayLike<number>, truth: UserTruth): UserMetrics {
    const m = userMetrics(ranked, truth);
    this.sums.ndcg10 += m.ndcg10; this.sums.recall20 += m.recall20;
    this.sums.precision10 += m.precision10; this.sums.map10 += m.map10;
    this.users++;
    for (let k = 0; k < Math.min(10, ranked.length); k++) this.shown[ranked[k]!] = 1;
    return m;
  }

  /** A user the model cannot rank (unknown to training): counts as all misses. */
  addEmpty(truth: UserTruth): void {
    this.add([], truth);
  }

  result(): UserMetrics & { coverage: number; users: number } {
    const n = Math.max(1, this.users);
    let covered = 0;
    for (let i = 0; i < this.shown.length; i++) covered += this.shown[i]!;
    return {
      ndcg10: this.sums.ndcg10 / n, recall20: this.sums.recall20 / n,
      precision10: this.sums.precision10 / n, map10: this.sums.map10 / n,
      coverage: this.catalogue > 0 ? covered / this.catalogue : 0, users: this.users,
    };
  }
}
