// OnnxModelSpec -> one ONNX graph from raw inputs to prediction:
//   numeric input (float [N,1]) -> Imputer ─┐
//   categorical input (string [N,1]) -> OneHotEncoder -> Squeeze ─┼-> Concat -> Scaler -> model -> head
// model: TreeEnsembleRegressor | LinearRegressor (raw scores [N,K]) | KMeans distances.
// head: regression scores as they are; classifiers get Sigmoid/Softmax, [1-p, p] for a single
// binary score, then ArgMax + Gather of the class labels.
//
// Why classifiers use the *Regressor operators plus standard ops rather than
// TreeEnsembleClassifier / LinearClassifier: the classifier operators have binary special cases
// in onnxruntime (observed with 1.30): with one score column and all-positive leaf weights the
// label compares the raw score, not the probability, with 0.5; with two base_values on two
// classes the second column is rebuilt from the first. The same spec could then predict
// differently by accident of its weights. Raw scores followed by Sigmoid / Softmax / ArgMax have
// one documented meaning, identical to ours.
import { readFileSync } from 'node:fs';
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import type { TreeEnsemble } from '../core/tree-model.ts';
import { DataType, encodeModel } from './proto.ts';
import { GraphBuilder, ML_DOMAIN, attr } from './graph-builder.ts';
import { thresholdF32 } from './float32.ts';
import { validateSpec } from './validate.ts';

export const IR_VERSION = 8;
export const OPSET_ONNX = 17;
export const OPSET_ML = 3;

export interface ExportOptions {
  graphName?: string;
  docString?: string;
  /** stored as ModelProto.model_version */
  modelVersion?: number;
  /** key/value pairs stored as ModelProto.metadata_props (model name, run id, ...) */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

const N = 'N';

const floatType = (shape: (number | string)[]) => ({ elemType: DataType.FLOAT, shape });

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Imputation and one-hot per input, concatenated in input order, then scaling: float [N, width]. */
function encodeInputs(g: GraphBuilder, spec: OnnxModelSpec): string {
  const blocks: string[] = [];
  let numericIndex = 0;
  for (const inp of spec.inputs) {
    if (inp.kind === 'numeric') {
      const x = g.input({ name: inp.name, elemType: DataType.FLOAT, shape: [N, 1] });
      const fill = spec.imputeNumeric?.[numericIndex++];
      const imputed = fill === undefined ? x : g.op('Imputer', [x], [
        attr.floats('imputed_value_floats', [fill]),
        attr.f('replaced_value_float', NaN),
      ], { domain: ML_DOMAIN, type: floatType([N, 1]) });
      blocks.push(inp.log1p ? g.op('Log', [g.op('Add', [imputed, g.constFloat([1], [1, 1])])]) : imputed);
    } else {
      const x = g.input({ name: inp.name, elemType: DataType.STRING, shape: [N, 1] });
      // zeros=1: a category not in the list encodes as all zeros instead of failing the run
      const oneHot = g.op('OneHotEncoder', [x], [attr.strings('cats_strings', inp.categories), attr.i('zeros', 1)], {
        domain: ML_DOMAIN,
        type: floatType([N, 1, inp.categories.length]),
      });
      blocks.push(g.op('Squeeze', [oneHot, g.constInt64([1])]));
    }
  }
  let encoded = blocks.length === 1 ? blocks[0]! : g.op('Concat', blocks, [attr.i('axis', 1)]);
  if (spec.scale) {
    encoded = g.op('Scaler', [encoded], [attr.floats('offset', spec.scale.offset), attr.floats('scale', spec.scale.scale)], {
      domain: ML_DOMAIN,
      type: floatType([N, spec.scale.offset.length]),
    });
  }
  return encoded;
}

/** TreeEnsembleRegressor attributes; nodes renumbered in depth-first order from each root, unreachable ones dropped. */
function treeEnsembleNode(g: GraphBuilder, x: string, e: TreeEnsemble): string {
  const k = e.trees[0]!.nOutputs;
  const treeIds: number[] = [], nodeIds: number[] = [], featureIds: number[] = [], modes: string[] = [];
  const values: number[] = [], trueIds: number[] = [], falseIds: number[] = [];
  const tTree: number[] = [], tNode: number[] = [], tTarget: number[] = [], tWeight: number[] = [];
  e.trees.forEach((t, treeId) => {
    const order: number[] = [];
    const newId = new Map<number, number>();
    const stack = [0];
    while (stack.length) {
      const i = stack.pop()!;
      newId.set(i, order.length);
      order.push(i);
      if (t.feature[i] !== -1) stack.push(t.right[i]!, t.left[i]!);
    }
    order.forEach((i, id) => {
      treeIds.push(treeId);
      nodeIds.push(id);
      if (t.feature[i] === -1) {
        featureIds.push(0); modes.push('LEAF'); values.push(0); trueIds.push(0); falseIds.push(0);
        for (let o = 0; o < k; o++) {
          tTree.push(treeId); tNode.push(id); tTarget.push(o); tWeight.push(t.value[i * k + o]!);
        }
      } else {
        featureIds.push(t.feature[i]!);
        modes.push('BRANCH_LEQ');
        values.push(thresholdF32(t.threshold[i]!));
        trueIds.push(newId.get(t.left[i]!)!);
        falseIds.push(newId.get(t.right[i]!)!);
      }
    });
  });
  return g.op('TreeEnsembleRegressor', [x], [
    attr.i('n_targets', k),
    attr.ints('nodes_treeids', treeIds),
    attr.ints('nodes_nodeids', nodeIds),
    attr.ints('nodes_featureids', featureIds),
    attr.strings('nodes_modes', modes),
    attr.floats('nodes_values', values),
    attr.ints('nodes_truenodeids', trueIds),
    attr.ints('nodes_falsenodeids', falseIds),
    attr.ints('target_treeids', tTree),
    attr.ints('target_nodeids', tNode),
    attr.ints('target_ids', tTarget),
    attr.floats('target_weights', tWeight),
    attr.s('aggregate_function', e.aggregate === 'average' ? 'AVERAGE' : 'SUM'),
    attr.floats('base_values', e.base),
    attr.s('post_transform', 'NONE'),
  ], { domain: ML_DOMAIN, type: floatType([N, k]) });
}

function postTransform(g: GraphBuilder, scores: string, post: 'none' | 'logistic' | 'softmax'): string {
  if (post === 'logistic') return g.op('Sigmoid', [scores]);
  if (post === 'softmax') return g.op('Softmax', [scores], [attr.i('axis', 1)]);
  return scores;
}

/** scores [N,K] -> graph outputs (a regression's floor, when given, applied last) */
function addHead(g: GraphBuilder, scores: string, k: number, post: 'none' | 'logistic' | 'softmax', classes: number[] | undefined, floor?: number): void {
  const raw = postTransform(g, scores, post);
  const transformed = floor !== undefined && !classes ? g.op('Max', [raw, g.constFloat([floor], [1, 1])]) : raw;
  if (!classes) {
    if (k === 1) g.op('Squeeze', [transformed, g.constInt64([1])], [], { output: 'prediction' });
    else g.op('Identity', [transformed], [], { output: 'prediction' });
    g.output({ name: 'prediction', elemType: DataType.FLOAT, shape: k === 1 ? [N] : [N, k] });
    return;
  }
  const c = classes.length;
  let probs: string;
  if (k === 1) {
    // the single score is the positive (second) class's probability
    const negative = g.op('Sub', [g.constFloat([1], [1, 1]), transformed]);
    probs = g.op('Concat', [negative, transformed], [attr.i('axis', 1)], { output: 'probabilities' });
  } else {
    probs = g.op('Identity', [transformed], [], { output: 'probabilities' });
  }
  // ArgMax keeps the first of equal maxima, as the reference evaluator does
  const best = g.op('ArgMax', [probs], [attr.i('axis', 1), attr.i('keepdims', 0)]);
  g.op('Gather', [g.constInt64(classes), best], [attr.i('axis', 0)], { output: 'prediction' });
  g.output({ name: 'prediction', elemType: DataType.INT64, shape: [N] });
  g.output({ name: 'probabilities', elemType: DataType.FLOAT, shape: [N, c] });
}

/** Builds the ONNX model (ModelProto bytes) for a spec; throws InvalidInputError naming a bad field. */
export function exportOnnx(spec: OnnxModelSpec, opts: ExportOptions = {}): Uint8Array {
  const layout = validateSpec(spec);
  const g = new GraphBuilder();
  const x = encodeInputs(g, spec);
  const m = spec.model;
  if (m.type === 'treeEnsemble') {
    const scores = treeEnsembleNode(g, x, m.ensemble);
    addHead(g, scores, m.ensemble.trees[0]!.nOutputs, m.ensemble.postTransform, m.task === 'classification' ? m.classes : undefined, spec.predictionFloor);
  } else if (m.type === 'linear') {
    const s = m.state;
    const scores = g.op('LinearRegressor', [x], [
      attr.floats('coefficients', s.coef),
      attr.floats('intercepts', s.intercept),
      attr.i('targets', s.nOutputs),
      attr.s('post_transform', 'NONE'),
    ], { domain: ML_DOMAIN, type: floatType([N, s.nOutputs]) });
    addHead(g, scores, s.nOutputs, s.postTransform, m.task === 'classification' ? m.classes : undefined, spec.predictionFloor);
  } else {
    // (x - c)^2 summed per centre, rather than |x|^2 - 2x.c + |c|^2, which cancels badly in float32
    const k = m.centers.rows;
    const centers = g.constFloat(m.centers.data, [k, layout.width]);
    const diff = g.op('Sub', [g.op('Unsqueeze', [x, g.constInt64([1])]), centers]);
    const sq = g.op('ReduceSum', [g.op('Mul', [diff, diff]), g.constInt64([2])], [attr.i('keepdims', 0)]);
    g.op('ArgMin', [sq], [attr.i('axis', 1), attr.i('keepdims', 0)], { output: 'prediction' });
    g.op('Sqrt', [sq], [], { output: 'distances' });
    g.output({ name: 'prediction', elemType: DataType.INT64, shape: [N] });
    g.output({ name: 'distances', elemType: DataType.FLOAT, shape: [N, k] });
  }
  return encodeModel({
    irVersion: IR_VERSION,
    opsets: [{ domain: '', version: OPSET_ONNX }, { domain: ML_DOMAIN, version: OPSET_ML }],
    producerName: 'tributary',
    producerVersion: opts.producerVersion ?? packageVersion(),
    modelVersion: opts.modelVersion,
    docString: opts.docString,
    metadata: opts.metadata,
    graph: g.build(opts.graphName ?? `tributary_${m.type}`),
  });
}
