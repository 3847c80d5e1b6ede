// float64 -> float32 conversions for ONNX attributes, which the ai.onnx.ml operators store and
// compute in float32.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** the largest float32 strictly below f (f itself a float32, not NaN, not -Infinity) */
export function nextDownF32(f: number): number {
  if (f === 0) return -1.401298464324817e-45; // below +0 and -0: the smallest negative subnormal
  f32[0] = f;
  // float32 bit patterns are ordered like the magnitudes they encode
  if (f > 0) u32[0] = u32[0]! - 1;
  else u32[0] = u32[0]! + 1;
  return f32[0]!;
}

/**
 * A split threshold t as float32 for `x <= t` (BRANCH_LEQ): the largest float32 <= t, i.e.
 * Math.fround(t) when that did not round up, else the float32 just below it.
 *
 * Why round down: onnxruntime casts each input to float32 and compares in float32. For every
 * float32 x, `x <= t` holds exactly when `x <= down(t)` (down(t) is the largest float32 not
 * above t), so every row whose features are float32-representable takes the same branch as in
 * our float64 trees. Rounding to nearest could round t up past such an x and send it left where
 * float64 sends it right. Inputs that are not float32-representable are first rounded by the
 * cast itself; those lying within half a float32 step of a threshold can still change branch,
 * which no float32 threshold can prevent.
 */
export function thresholdF32(t: number): number {
  if (Number.isNaN(t)) throw new RangeError('threshold is NaN');
  const f = Math.fround(t);
  return f <= t ? f : nextDownF32(f);
}
