// Checks an OnnxModelSpec once, before export or reference evaluation, so a malformed spec fails
// with an error naming the field instead of producing a graph that onnxruntime rejects (or,
// worse, one that runs and predicts something else).
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import type { FlatTree } from '../core/tree-model.ts';
import { InvalidInputError } from '../core/errors.ts';

/** graph output names; an input may not take one of them */
export const OUTPUT_NAMES = ['prediction', 'probabilities', 'distances'] as const;

export interface SpecLayout {
  /** width of the encoded feature vector */
  width: number;
  numericCount: number;
  /** for a model with classes: their count; the output width of the head otherwise */
  nOutputs: number;
}

function fail(msg: string): never {
  throw new InvalidInputError(`OnnxModelSpec: ${msg}`);
}

function checkTree(t: FlatTree, k: number, width: number, nOutputs: number): void {
  const n = t.feature.length;
  const where = `model.ensemble.trees[${k}]`;
  if (n === 0) fail(`${where} has no nodes`);
  if (t.threshold.length !== n || t.left.length !== n || t.right.length !== n) {
    fail(`${where}: feature/threshold/left/right must all have ${n} entries`);
  }
  if (t.nOutputs !== nOutputs) fail(`${where}.nOutputs is ${t.nOutputs}, the ensemble has ${nOutputs}`);
  if (t.value.length < n * nOutputs) fail(`${where}.value has ${t.value.length} entries, expected ${n * nOutputs}`);
  for (let i = 0; i < n; i++) {
    const f = t.feature[i]!;
    if (f === -1) {
      for (let o = 0; o < nOutputs; o++) {
        if (!Number.isFinite(t.value[i * nOutputs + o]!)) fail(`${where}.value of leaf ${i} is not finite`);
      }
      continue;
    }
    if (f < 0 || f >= width) fail(`${where}.feature[${i}] = ${f} is outside the ${width} encoded features`);
    if (Number.isNaN(t.threshold[i]!)) fail(`${where}.threshold[${i}] is NaN`);
    for (const [side, c] of [['left', t.left[i]!], ['right', t.right[i]!]] as const) {
      if (c < 0 || c >= n || c === i) fail(`${where}.${side}[${i}] = ${c} is not another node id below ${n}`);
    }
  }
  // every node reachable from the root must be reached once: a cycle or a shared child is not a tree
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length) {
    const i = stack.pop()!;
    if (seen[i]) fail(`${where}: node ${i} is reached twice (not a tree)`);
    seen[i] = 1;
    if (t.feature[i] !== -1) stack.push(t.left[i]!, t.right[i]!);
  }
}

export function validateSpec(spec: OnnxModelSpec): SpecLayout {
  if (!spec || !Array.isArray(spec.inputs) || spec.inputs.length === 0) fail('inputs must be a non-empty array');
  const names = new Set<string>();
  let width = 0;
  let numericCount = 0;
  for (const [k, input] of spec.inputs.entries()) {
    if (typeof input.name !== 'string' || input.name === '') fail(`inputs[${k}].name must be a non-empty string`);
    if (names.has(input.name)) fail(`inputs[${k}].name '${input.name}' is used twice`);
    if ((OUTPUT_NAMES as readonly string[]).includes(input.name) || input.name.startsWith('__')) {
      fail(`inputs[${k}].name '${input.name}' is reserved for graph outputs and internal values`);
    }
    names.add(input.name);
    if (input.kind === 'numeric') {
      width += 1;
      numericCount += 1;
    } else if (input.kind === 'categorical') {
      if (!Array.isArray(input.categories) || input.categories.length === 0) {
        fail(`inputs[${k}] ('${input.name}').categories must be a non-empty array of strings`);
      }
      if (new Set(input.categories).size !== input.categories.length) {
        fail(`inputs[${k}] ('${input.name}').categories has duplicates`);
      }
      width += input.categories.length;
    } else {
      fail(`inputs[${k}].kind must be 'numeric' or 'categorical'`);
    }
  }
  if (spec.imputeNumeric !== undefined) {
    if (spec.imputeNumeric.length !== numericCount) {
      fail(`imputeNumeric has ${spec.imputeNumeric.length} values for ${numericCount} numeric inputs`);
    }
    spec.imputeNumeric.forEach((v, k) => Number.isFinite(v) || fail(`imputeNumeric[${k}] is not finite`));
  }
  if (spec.predictionFloor !== undefined) {
    if (!Number.isFinite(spec.predictionFloor)) fail('predictionFloor is not finite');
    if (spec.model.type === 'kmeans' || spec.model.task !== 'regression') fail('predictionFloor applies to regression models only');
  }
  if (spec.scale !== undefined) {
    for (const key of ['offset', 'scale'] as const) {
      const a = spec.scale[key];
      if (!a || a.length !== width) fail(`scale.${key} must have ${width} values (the encoded width)`);
      a.forEach((v, k) => Number.isFinite(v) || fail(`scale.${key}[${k}] is not finite`));
    }
  }
  const m = spec.model;
  if (m.type === 'treeEnsemble') {
    const e = m.ensemble;
    if (e.nFeatures !== width) fail(`model.ensemble.nFeatures is ${e.nFeatures}, the encoded width is ${width}`);
    if (e.trees.length === 0) fail('model.ensemble.trees is empty');
    const nOut = e.trees[0]!.nOutputs;
    if (!Number.isInteger(nOut) || nOut < 1) fail('model.ensemble.trees[0].nOutputs must be a positive integer');
    e.trees.forEach((t, k) => checkTree(t, k, width, nOut));
    if (e.base.length !== nOut) fail(`model.ensemble.base has ${e.base.length} values, expected ${nOut}`);
    if (!['average', 'sum'].includes(e.aggregate)) fail(`model.ensemble.aggregate '${e.aggregate}' is not 'average' or 'sum'`);
    checkHead(m.task, m.task === 'classification' ? m.classes : undefined, nOut, e.postTransform, 'model.ensemble');
    return { width, numericCount, nOutputs: m.task === 'classification' ? m.classes.length : nOut };
  }
  if (m.type === 'linear') {
    const s = m.state;
    if (s.nFeatures !== width) fail(`model.state.nFeatures is ${s.nFeatures}, the encoded width is ${width}`);
    if (!Number.isInteger(s.nOutputs) || s.nOutputs < 1) fail('model.state.nOutputs must be a positive integer');
    if (s.coef.length !== s.nOutputs * s.nFeatures) fail(`model.state.coef has ${s.coef.length} values, expected ${s.nOutputs * s.nFeatures}`);
    if (s.intercept.length !== s.nOutputs) fail(`model.state.intercept has ${s.intercept.length} values, expected ${s.nOutputs}`);
    s.coef.forEach((v, k) => Number.isFinite(v) || fail(`model.state.coef[${k}] is not finite`));
    checkHead(m.task, m.classes, s.nOutputs, s.postTransform, 'model.state');
    return { width, numericCount, nOutputs: m.task === 'classification' ? m.classes!.length : s.nOutputs };
  }
  if (m.type === 'kmeans') {
    const c = m.centers;
    if (c.cols !== width) fail(`model.centers has ${c.cols} columns, the encoded width is ${width}`);
    if (c.rows < 1 || c.data.length !== c.rows * c.cols) fail('model.centers must hold at least one centre');
    c.data.forEach((v, k) => Number.isFinite(v) || fail(`model.centers.data[${k}] is not finite`));
    return { width, numericCount, nOutputs: c.rows };
  }
  return fail(`model.type '${(m as { type: string }).type}' is not supported`);
}

function checkHead(
  task: string,
  classes: number[] | undefined,
  nOut: number,
  post: string,
  where: string,
): void {
  if (!['none', 'logistic', 'softmax'].includes(post)) fail(`${where}.postTransform '${post}' is not supported`);
  if (task === 'regression') return;
  if (task !== 'classification') fail(`model.task '${task}' is not 'regression' or 'classification'`);
  if (!Array.isArray(classes) || classes.length < 2) fail('model.classes must list at least two classes');
  classes.forEach((c, k) => Number.isSafeInteger(c) || fail(`model.classes[${k}] = ${c} is not an integer label`));
  if (new Set(classes).size !== classes.length) fail('model.classes has duplicates');
  // one score per class, or a single score for the positive class of a binary problem
  const binary = nOut === 1 && classes.length === 2;
  if (!binary && nOut !== classes.length) fail(`${where} has ${nOut} outputs for ${classes.length} classes`);
  if (binary && post === 'softmax') fail(`${where}.postTransform 'softmax' needs one output per class, got a single score`);
}
