// The served like model (registered as `music-like`): the probability that a user likes a track.
// It holds the boosting classifier fitted point in time (likes.ts), the feature state at the end
// of its data (like-features.ts: what it looks a user and a track up in when asked), and a
// seeded sample of its training rows with their predictions: the reference that monitoring
// compares the rows it actually served with.
import type { Matrix } from '../../ml/core/matrix.ts';
import type { SerializedEstimator } from '../../ml/core/estimator.ts';
import type { OnnxModelSpec } from '../../ml/core/onnx-spec.ts';
import { decodeArray, encodeArray, type EncodedArray } from '../../ml/recsys/recommender.ts';
import { GradientBoostingClassifier } from '../../ml/tree/index.ts';
import { LIKE_FEATURES, LikeFeatureState, type LikeQuery, type LikeStateJSON } from './like-features.ts';

export const LIKE_MODEL_NAME = 'music-like';
export const LIKE_KIND = 'music-like';

/** How the model was fitted: enough to refit it with the same recipe (like-retrain.ts). */
export interface LikeRecipe { als: Record<string, unknown>; cutoffAt: number; testUserFraction: number; seed: number }

export interface LikeArtifact {
  kind: typeof LIKE_KIND;
  format: 1;
  features: string[];
  recipe: LikeRecipe;
  cutoff: string;
  classifier: SerializedEstimator<any, any>;
  state: LikeStateJSON;
  reference: { rows: number; data: EncodedArray; predictions: EncodedArray };
}

/** A like classifier's ONNX form on the named LIKE_FEATURES columns. */
export function likeOnnxSpec(classifier: GradientBoostingClassifier): OnnxModelSpec {
  return { ...classifier.toOnnxSpec(), inputs: LIKE_FEATURES.map((name) => ({ name, kind: 'numeric' as const })) };
}

export class LikeModel {
  constructor(
    readonly classifier: GradientBoostingClassifier,
    readonly state: LikeFeatureState,
    readonly recipe: LikeRecipe,
    readonly cutoff: string,
    /** training rows (row-major, LIKE_FEATURES columns) and the model's probabilities on them */
    readonly reference: { X: Matrix; p: Float64Array },
  ) {}

  /** The feature rows of some queries, from the state at the end of the model's data. */
  features(queries: LikeQuery[]): Matrix {
    const d = LIKE_FEATURES.length;
    const data = new Float64Array(queries.length * d);
    queries.forEach((q, r) => this.state.row(q, data, r * d));
    return { rows: queries.length, cols: d, data };
  }

  /** P(like) of each row of a LIKE_FEATURES matrix. */
  probability(X: Matrix): Float64Array {
    const P = this.classifier.predictProba(X);
    return Float64Array.from({ length: X.rows }, (_, i) => P.data[i * P.cols + P.cols - 1]!);
  }

  /** The classifier's ONNX form on the named LIKE_FEATURES (what the feature-row endpoint takes): P(like) as `probabilities`. */
  toOnnxSpec(): OnnxModelSpec { return likeOnnxSpec(this.classifier); }

  toJSON(): LikeArtifact {
    return {
      kind: LIKE_KIND, format: 1, features: [...LIKE_FEATURES], recipe: this.recipe, cutoff: this.cutoff,
      classifier: this.classifier.toJSON(), state: this.state.toJSON(),
      reference: { rows: this.reference.X.rows, data: encodeArray(this.reference.X.data), predictions: encodeArray(this.reference.p) },
    };
  }

  static fromJSON(a: LikeArtifact): LikeModel {
    if (a?.kind !== LIKE_KIND) throw new Error(`not a like model artifact (kind ${String(a?.kind)})`);
    if (JSON.stringify(a.features) !== JSON.stringify(LIKE_FEATURES)) {
      throw new Error(`like model: its features (${a.features?.join(', ')}) are not this code's (${LIKE_FEATURES.join(', ')})`);
    }
    const X = decodeArray(a.reference.data), p = decodeArray(a.reference.predictions);
    return new LikeModel(
      GradientBoostingClassifier.fromJSON(a.classifier), LikeFeatureState.fromJSON(a.state), a.recipe, a.cutoff,
      { X: { rows: a.reference.rows, cols: LIKE_FEATURES.length, data: Float64Array.from(X) }, p: Float64Array.from(p) },
    );
  }
}
