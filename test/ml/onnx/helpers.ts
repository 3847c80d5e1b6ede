// Shared by the ONNX tests: random specs and data, tolerance checks, the python onnx checker.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../../src/ml/core/rng.ts';
import type { FlatTree } from '../../../src/ml/core/tree-model.ts';
import type { OnnxInput } from '../../../src/ml/core/onnx-spec.ts';
import type { OnnxPrediction } from '../../../src/ml/onnx/inputs.ts';

export const RTOL = 1e-5;

/**
 * |actual - expected| <= rtol * max(|expected|, 1): relative for values of magnitude >= 1, and an
 * absolute 1e-5 below (probabilities, values near zero), where float32 rounding of the terms that
 * cancel out is larger than the result itself.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = RTOL): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const tol = rtol * Math.max(Math.abs(e), 1);
    if (!(Math.abs(a - e) <= tol)) assert.fail(`${what}[${i}]: onnxruntime ${a}, expected ${e} (tolerance ${tol})`);
  }
}

export function assertSamePrediction(actual: OnnxPrediction, expected: OnnxPrediction, labels: boolean): void {
  assert.equal(actual.predictionCols, expected.predictionCols, 'prediction columns');
  if (labels) assert.deepEqual(Array.from(actual.prediction), Array.from(expected.prediction), 'labels');
  else assertClose(actual.prediction, expected.prediction, 'prediction');
  assert.equal(!!actual.probabilities, !!expected.probabilities, 'probabilities present');
  if (expected.probabilities) {
    assert.equal(actual.probabilities!.cols, expected.probabilities.cols);
    assertClose(actual.probabilities!.data, expected.probabilities.data, 'probabilities');
  }
  assert.equal(!!actual.distances, !!expected.distances, 'distances present');
  if (expected.distances) assertClose(actual.distances!.data, expected.distances.data, 'distances');
}

/**
 * A random binary tree of the given depth over `width` features. Thresholds are arbitrary
 * float64 values (mostly not float32-representable), the case the float32 rounding must handle.
 * `breadthFirst` numbers nodes level by level instead of depth-first, and `orphan` appends an
 * unreachable leaf, so the exporter's renumbering is exercised.
 */
export function randomTree(
  rng: Rng,
  opts: {
    width: number;
    depth: number;
    nOutputs: number;
    leaf: (rng: Rng) => number[];
    binaryFeatures?: Set<number>;
    breadthFirst?: boolean;
    orphan?: boolean;
  },
): FlatTree {
  interface N { feature: number; threshold: number; value?: number[]; l?: N; r?: N }
  const grow = (d: number): N => {
    if (d === opts.depth || (d > 0 && rng.random() < 0.15)) return { feature: -1, threshold: 0, value: opts.leaf(rng) };
    const f = rng.int(opts.width);
    const threshold = opts.binaryFeatures?.has(f) ? 0.5 : rng.normal() * 1.5;
    return { feature: f, threshold, l: grow(d + 1), r: grow(d + 1) };
  };
  const root = grow(0);
  const order: N[] = [];
  if (opts.breadthFirst) {
    const queue = [root];
    while (queue.length) {
      const n = queue.shift()!;
      order.push(n);
      if (n.l) queue.push(n.l, n.r!);
    }
  } else {
    const visit = (n: N) => { order.push(n); if (n.l) { visit(n.l); visit(n.r!); } };
    visit(root);
  }
  if (opts.orphan) order.push({ feature: -1, threshold: 0, value: opts.leaf(rng) });
  const id = new Map(order.map((n, i) => [n, i]));
  const k = opts.nOutputs;
  const t: FlatTree = {
    feature: new Int32Array(order.length),
    threshold: new Float64Array(order.length),
    left: new Int32Array(order.length).fill(-1),
    right: new Int32Array(order.length).fill(-1),
    value: new Float64Array(order.length * k),
    nOutputs: k,
  };
  order.forEach((n, i) => {
    t.feature[i] = n.feature;
    t.threshold[i] = n.threshold;
    if (n.l) { t.left[i] = id.get(n.l)!; t.right[i] = id.get(n.r!)!; }
    else n.value!.forEach((v, o) => (t.value[i * k + o] = v));
  });
  return t;
}

/**
 * Rows for the given inputs: numeric values are float32-representable (as a float32 ONNX input
 * receives them exactly), some missing; categorical values include unknown and missing ones.
 */
export function randomRows(rng: Rng, inputs: OnnxInput[], n: number, missing = 0.1): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const r: Record<string, unknown> = {};
    for (const inp of inputs) {
      if (rng.random() < missing) { r[inp.name] = null; continue; }
      if (inp.kind === 'numeric') r[inp.name] = Math.fround(rng.normal() * 1.5);
      else r[inp.name] = rng.random() < 0.1 ? 'never-seen' : inp.categories[rng.int(inp.categories.length)]!;
    }
    rows.push(r);
  }
  return rows;
}

export function probabilityVector(rng: Rng, k: number): number[] {
  const v = Array.from({ length: k }, () => rng.random() + 0.01);
  const s = v.reduce((a, b) => a + b, 0);
  return v.map((x) => x / s);
}

const python = '/usr/bin/python3';
let pythonOnnx: boolean | undefined;

/** Whether /usr/bin/python3 can `import onnx` (Debian's python3-onnx). */
export function hasPythonOnnx(): boolean {
  if (pythonOnnx === undefined) {
    const r = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' });
    pythonOnnx = r.status === 0;
  }
  return pythonOnnx;
}

export const NO_PYTHON_ONNX = `${python} cannot import onnx (install python3-onnx): onnx.checker not run`;

/** Runs onnx.checker.check_model(full_check=True) on the bytes; fails with the checker's message. */
export function checkWithPythonOnnx(bytes: Uint8Array): void {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-onnx-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, bytes);
    const r = spawnSync(python, ['-c', [
      'import sys, onnx',
      'm = onnx.load(sys.argv[1])',
      'onnx.checker.check_model(m, full_check=True)',
      'print("ok", m.ir_version, ",".join(f"{o.domain or \'ai.onnx\'}:{o.version}" for o in m.opset_import))',
    ].join('\n'), file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `onnx.checker rejected the model:\n${r.stderr}`);
    assert.match(r.stdout, /^ok 8 ai\.onnx:17,ai\.onnx\.ml:3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
