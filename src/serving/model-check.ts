// Models are checked when they are loaded, not when the first request finds out: the same
// structural validation `models export` applies (the model's ONNX spec checked field by field:
// coefficient counts, tree links, finite values), then one prediction on a neutral row, which
// must give a value. An artifact whose hash is right but whose content is malformed (a
// coefficient list of the wrong length, strings for numbers) is refused at load, with the
// reason, instead of being served as `predictions: [null]`.
import { Pipeline } from '../ml/pipeline/pipeline.ts';
import { validateSpec } from '../ml/onnx/validate.ts';
import type { OnnxModelSpec } from '../ml/core/onnx-spec.ts';
import { errorLine } from '../util/redact.ts';
import { InputError } from './input-error.ts';
import type { Servable } from './servables.ts';

export class UnloadableModelError extends Error {
  override name = 'UnloadableModelError';
}

/** The structural check of export, for a loaded estimator or pipeline that has an ONNX form. */
export function checkStructure(model: unknown): void {
  const inner = model instanceof Pipeline ? model.model : model;
  if (typeof (inner as { toOnnxSpec?: unknown })?.toOnnxSpec !== 'function') return; // no ONNX form: nothing to compare with
  try {
    validateSpec((model as { toOnnxSpec(): OnnxModelSpec }).toOnnxSpec());
  } catch (e) {
    throw new UnloadableModelError(`malformed model: ${errorLine(e)}`);
  }
}

/** One prediction on a neutral row (zeros, an unseen category); every answer must be a value. */
export function checkAnswers(s: Servable): void {
  try {
    if (s.type === 'recommender') {
      s.recommend('\u0000probe', 1);
      return;
    }
    const p = s.predictor;
    const row: Record<string, unknown> = {};
    for (const f of p.inputs) row[f.name] = f.kind === 'numeric' ? 0 : 'probe';
    const out = p.predict([row]) as { predictions: unknown[]; probabilities?: number[][] };
    const bad = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v));
    if (out.predictions.length !== 1 || out.predictions.some(bad)) throw new UnloadableModelError('malformed model: it predicts no value for a plain row');
    if (out.probabilities?.some((r) => r.some(bad))) throw new UnloadableModelError('malformed model: its class probabilities are not numbers');
  } catch (e) {
    if (e instanceof UnloadableModelError) throw e;
    if (e instanceof InputError) return; // the probe row itself was refused (a model with input rules): not the model's fault
    throw new UnloadableModelError(`malformed model: predicting fails (${errorLine(e)})`);
  }
}
