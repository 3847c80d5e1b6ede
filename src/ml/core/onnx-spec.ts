// What an estimator (or a pipeline of encoders + estimator) hands to the ONNX exporter
// (src/ml/onnx): a plain description of one graph from raw Frame columns to the prediction.
import type { Matrix } from './matrix.ts';
import type { TreeEnsemble } from './tree-model.ts';
import type { LinearModelState } from './linear-model.ts';

export type OnnxInput =
  /** log1p: the value (after imputation) enters as log(1 + x), as the segment model's RFM columns do */
  | { name: string; kind: 'numeric'; log1p?: boolean }
  | { name: string; kind: 'categorical'; categories: string[] };

/**
 * The encoded feature vector is the concatenation, in `inputs` order, of: one value per numeric
 * input (missing values replaced by `imputeNumeric[k]` when given), and a one-hot block of
 * |categories| values per categorical input (an unknown category gives all zeros).
 * `scale` then applies (x - offset) * scale to the whole encoded vector (ONNX Scaler semantics;
 * offset 0 and scale 1 leave a position unchanged).
 */
export interface OnnxModelSpec {
  inputs: OnnxInput[];
  /** fill value for each numeric input, in the order numeric inputs appear */
  imputeNumeric?: number[];
  scale?: { offset: number[]; scale: number[] };
  /** regression only: predictions below this are raised to it (spend is never negative) */
  predictionFloor?: number;
  model:
    | { type: 'treeEnsemble'; task: 'regression'; ensemble: TreeEnsemble }
    | { type: 'treeEnsemble'; task: 'classification'; ensemble: TreeEnsemble; classes: number[] }
    | { type: 'linear'; task: 'regression' | 'classification'; state: LinearModelState; classes?: number[] }
    | { type: 'kmeans'; centers: Matrix };
  /** graph outputs: 'prediction' always ([N] for regression/labels); 'probabilities' [N, C] for classifiers */
}

/** Implemented by every estimator (or pipeline) that has an ONNX form. */
export interface OnnxExportable {
  toOnnxSpec(): OnnxModelSpec;
}
