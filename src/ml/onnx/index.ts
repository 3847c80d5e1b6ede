// ONNX export of OnnxModelSpec (src/ml/core/onnx-spec.ts): encoder, reference evaluator.
// runtime.ts (onnxruntime-node, a dev dependency: nothing at run time needs it) is imported
// directly by the tests that check exported graphs in onnxruntime.
export { exportOnnx, IR_VERSION, OPSET_ONNX, OPSET_ML, type ExportOptions } from './export.ts';
export { predictSpec, encodeSpecInput } from './reference.ts';
export { validateSpec } from './validate.ts';
export { thresholdF32 } from './float32.ts';
export type { OnnxPrediction, ModelInput } from './inputs.ts';
