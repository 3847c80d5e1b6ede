// The fitted form of every tree model (decision tree, random forest, gradient boosting), shared
// by the estimators, fast prediction, serialisation and ONNX export (TreeEnsemble operators).

/**
 * One binary tree as flat arrays indexed by node id; node 0 is the root.
 * Internal node i: feature[i] >= 0; a row goes to left[i] when x[feature[i]] <= threshold[i]
 * (ONNX mode BRANCH_LEQ), otherwise to right[i].
 * Leaf i: feature[i] === -1; its output is value[i * nOutputs .. (i + 1) * nOutputs).
 */
export interface FlatTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  nOutputs: number;
}

/**
 * A tree ensemble: prediction = postTransform(base + aggregate over trees of leaf values).
 *  - random forest regressor: aggregate 'average', base [0], postTransform 'none', nOutputs 1
 *  - random forest classifier: 'average' of class probabilities, nOutputs = nClasses
 *  - gradient boosting regressor: 'sum' (leaf values already scaled by the learning rate), base [init]
 *  - gradient boosting binary classifier: 'sum', nOutputs 1, postTransform 'logistic'
 *  - gradient boosting multiclass: 'sum', nOutputs = nClasses, postTransform 'softmax'
 */
export interface TreeEnsemble {
  trees: FlatTree[];
  aggregate: 'average' | 'sum';
  base: number[];
  postTransform: 'none' | 'logistic' | 'softmax';
  nFeatures: number;
}

export function predictTreeRow(t: FlatTree, x: ArrayLike<number>): number {
  let i = 0;
  const f = t.feature, th = t.threshold, l = t.left, r = t.right;
  while (f[i]! >= 0) i = x[f[i]!]! <= th[i]! ? l[i]! : r[i]!;
  return i;
}
