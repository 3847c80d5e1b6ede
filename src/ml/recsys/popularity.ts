// The baseline every recommender must beat: items ranked by how many users interacted with them.
import { InvalidInputError } from '../core/errors.ts';
import { resolveParams, requireFitted, BaseEstimator } from '../core/estimator.ts';
import type { Interactions } from './interactions.ts';
import {
  checkSerialized, decodeF32, deserializeInteractions, encodeArray, recommendFrom, serializeInteractions,
  type RecommendOptions, type Recommendation, type Recommender, type SerializedRecommender,
} from './recommender.ts';

export type PopularityParams = Record<string, never>;

export class Popularity extends BaseEstimator<PopularityParams> implements Recommender<PopularityParams> {
  readonly kind = 'popularity';
  readonly params: PopularityParams;
  data: Interactions | undefined;
  counts: Float32Array | undefined;

  constructor(params: Partial<PopularityParams> = {}) {
    super();
    this.params = resolveParams('popularity', {} as PopularityParams, params);
  }

  async fit(data: Interactions): Promise<this> {
    if (data.nItems === 0) throw new InvalidInputError('popularity: no items to fit');
    this.counts = Float32Array.from(data.itemCounts());
    this.data = data;
    return this;
  }

  scoreUsers(users: Int32Array): Float32Array {
    const c = requireFitted('popularity', this.counts);
    const out = new Float32Array(users.length * c.length);
    for (let b = 0; b < users.length; b++) out.set(c, b * c.length);
    return out;
  }

  recommend(user: number | string, n: number, opts?: RecommendOptions): Recommendation[] {
    requireFitted('popularity', this.counts);
    return recommendFrom(this, this.data!, user, n, opts);
  }

  toJSON(): SerializedRecommender<PopularityParams> {
    const c = requireFitted('popularity', this.counts);
    return { kind: this.kind, format: 1, params: {}, data: serializeInteractions(this.data!), state: { counts: encodeArray(c) } };
  }

  static fromJSON(json: SerializedRecommender<PopularityParams>): Popularity {
    checkSerialized('popularity', json);
    const m = new Popularity();
    m.data = deserializeInteractions(json.data);
    m.counts = decodeF32((json.state as any).counts);
    if (m.counts.length !== m.data.nItems) throw new InvalidInputError('popularity.fromJSON: counts do not match the item count');
    return m;
  }
}
