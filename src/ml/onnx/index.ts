// ONNX export of OnnxModelSpec (src/ml/core/onnx-spec.ts): encoder, runtime helper, reference.
export { exportOnnx, IR_VERSION, OPSET_ONNX, OPSET_ML, type ExportOptions } from './export.ts';
export { runOnnx, OnnxSession, type OnnxSessionOptions } from './runtime.ts';
export { predictSpec, encodeSpecInput } from './reference.ts';
export { validateSpec } from './validate.ts';
export { thresholdF32 } from './float32.ts';
export type { OnnxPrediction, ModelInput } from './inputs.ts';
