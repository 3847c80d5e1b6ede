// The ONNX form of any registered model artifact: the use cases' served models (retail spend,
// retail segments, the music like model) and every estimator or Pipeline of the ML core.
// `tributary models export` writes what this returns; null when the model has no ONNX form
// (recommenders: their answer is a ranking over the catalogue, not a function of a feature row).
import type { OnnxModelSpec } from '../ml/core/onnx-spec.ts';
import { hasOnnxForm, loadEstimator } from '../ml/registry.ts';
import { LIKE_KIND, LikeModel, type LikeArtifact } from './music/like-model.ts';
import { spendOnnxSpec } from './retail/models.ts';
import { SegmentModel } from './retail/segments.ts';

export function onnxSpecOf(artifact: unknown): OnnxModelSpec | null {
  const kind = (artifact as { kind?: unknown } | null)?.kind;
  if (kind === 'RetailSpendModel') {
    const a = artifact as { estimator: unknown; features: string[] };
    return spendOnnxSpec(a.estimator, a.features);
  }
  if (kind === 'RetailSegmentModel') return SegmentModel.fromJSON(artifact).toOnnxSpec();
  if (kind === LIKE_KIND) return LikeModel.fromJSON(artifact as LikeArtifact).toOnnxSpec();
  if (kind === 'music-playlist') return null;
  const estimator = loadEstimator(artifact);
  return hasOnnxForm(estimator) ? estimator.toOnnxSpec() : null;
}
