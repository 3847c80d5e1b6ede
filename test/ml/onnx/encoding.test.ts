// The pieces under the exporter: protobuf wire format, float32 thresholds that keep tree routing
// identical, and the spec validation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoWriter } from '../../../src/ml/onnx/protobuf.ts';
import { nextDownF32, thresholdF32 } from '../../../src/ml/onnx/float32.ts';
import { runOnnx } from '../../../src/ml/onnx/runtime.ts';
import { exportOnnx, predictSpec } from '../../../src/ml/onnx/index.ts';
import { Rng } from '../../../src/ml/core/rng.ts';
import { InvalidInputError } from '../../../src/ml/core/errors.ts';
import type { OnnxModelSpec } from '../../../src/ml/core/onnx-spec.ts';
import type { FlatTree } from '../../../src/ml/core/tree-model.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('protobuf writer', () => {
  test('varints, including int64 negatives as 10 bytes', () => {
    assert.equal(hex(new ProtoWriter().varint(0).finish()), '00');
    assert.equal(hex(new ProtoWriter().varint(1).finish()), '01');
    assert.equal(hex(new ProtoWriter().varint(300).finish()), 'ac02');
    assert.equal(hex(new ProtoWriter().varint(2 ** 35).finish()), '8080808080' + '01');
    assert.equal(hex(new ProtoWriter().varint(-1).finish()), 'ffffffffffffffffff01');
    assert.equal(hex(new ProtoWriter().varint(-2).finish()), 'feffffffffffffffff01');
  });

  test('field tags, strings, floats and nested messages', () => {
    // field 1 varint 150 -> 08 96 01 (the protobuf documentation's example)
    assert.equal(hex(new ProtoWriter().int(1, 150).finish()), '089601');
    // field 2 string "testing" -> 12 07 74 65 73 74 69 6e 67
    assert.equal(hex(new ProtoWriter().string(2, 'testing').finish()), '120774657374696e67');
    // field 2 float 1.0 -> 15 0000803f
    assert.equal(hex(new ProtoWriter().float(2, 1).finish()), '150000803f');
    // field 3 message { field 1 varint 150 } -> 1a 03 08 96 01
    assert.equal(hex(new ProtoWriter().message(3, (m) => m.int(1, 150)).finish()), '1a03089601');
    // grows past its initial buffer
    const big = new ProtoWriter(4).string(1, 'x'.repeat(1000)).finish();
    assert.equal(big.length, 1 + 2 + 1000);
  });
});

describe('float32 thresholds', () => {
  test('down(t) is the largest float32 <= t', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 20000; k++) {
      const t = (rng.random() - 0.5) * 10 ** (rng.int(12) - 6);
      const d = thresholdF32(t);
      assert.equal(Math.fround(d), d, 'is a float32');
      assert.ok(d <= t, `${d} <= ${t}`);
      // the next float32 up is above t
      const up = -nextDownF32(-d);
      assert.ok(up > t, `next float32 above ${d} is ${up}, must exceed ${t}`);
    }
    assert.equal(thresholdF32(0.5), 0.5);
    assert.equal(thresholdF32(-0), -0);
    assert.equal(thresholdF32(Infinity), Infinity);
    assert.ok(thresholdF32(-1e-300) < 0);
    assert.equal(thresholdF32(3.5e38), 3.4028234663852886e38); // above the float32 range: the largest float32
  });

  test('every float32 input takes the float64 branch, also right next to the threshold', async () => {
    // one split per feature on thresholds that float32 rounding moves up (t1), moves down (t2)
    // or keeps (t3); leaves are 1, 2 (feature 0), 3, 4 (feature 1), 5, 6 (feature 2) per branch,
    // summed over three one-split trees
    const t1 = Math.fround(0.1) - 1e-12; // Math.fround(t1) > t1
    const t2 = Math.fround(0.3) + 1e-12; // Math.fround(t2) < t2
    const t3 = 0.75;
    assert.ok(Math.fround(t1) > t1 && Math.fround(t2) < t2);
    const stump = (f: number, t: number, a: number, b: number): FlatTree => ({
      feature: Int32Array.from([f, -1, -1]), threshold: Float64Array.from([t, 0, 0]),
      left: Int32Array.from([1, -1, -1]), right: Int32Array.from([2, -1, -1]),
      value: Float64Array.from([0, a, b]), nOutputs: 1,
    });
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'a', kind: 'numeric' }, { name: 'b', kind: 'numeric' }, { name: 'c', kind: 'numeric' }],
      model: {
        type: 'treeEnsemble', task: 'regression',
        ensemble: {
          trees: [stump(0, t1, 1, 2), stump(1, t2, 30, 40), stump(2, t3, 500, 600)],
          aggregate: 'sum',
          base: [0],
          postTransform: 'none',
          nFeatures: 3,
        },
      },
    };
    const near = (t: number) => {
      const f = Math.fround(t);
      return [nextDownF32(nextDownF32(f)), nextDownF32(f), f, -nextDownF32(-f), -nextDownF32(nextDownF32(-f))];
    };
    const rows: Record<string, number>[] = [];
    for (const a of near(t1)) for (const b of near(t2)) for (const c of near(t3)) rows.push({ a, b, c });
    const expected = predictSpec(spec, rows).prediction;
    const actual = (await runOnnx(exportOnnx(spec), rows)).prediction;
    assert.deepEqual(Array.from(actual), Array.from(expected));
    // the rows do straddle every threshold
    assert.deepEqual(new Set(expected).size, 8);
  });
});

describe('spec validation', () => {
  const base = (): OnnxModelSpec => ({
    inputs: [{ name: 'a', kind: 'numeric' }, { name: 'c', kind: 'categorical', categories: ['x', 'y'] }],
    model: {
      type: 'linear',
      task: 'regression',
      state: { coef: Float64Array.from([1, 2, 3]), intercept: Float64Array.from([0]), nFeatures: 3, nOutputs: 1, postTransform: 'none' },
    },
  });
  const rejects = (mutate: (s: OnnxModelSpec) => void, pattern: RegExp) => {
    const s = base();
    mutate(s);
    assert.throws(() => exportOnnx(s), (e: unknown) => e instanceof InvalidInputError && pattern.test(e.message));
  };

  test('bad specs fail naming the field', () => {
    assert.ok(exportOnnx(base()).length > 0);
    rejects((s) => (s.inputs = []), /inputs must be a non-empty array/);
    rejects((s) => s.inputs.push({ name: 'a', kind: 'numeric' }), /inputs\[2\]\.name 'a' is used twice/);
    rejects((s) => (s.inputs[0]!.name = 'prediction'), /reserved/);
    rejects((s) => (s.inputs[1] = { name: 'c', kind: 'categorical', categories: ['x', 'x'] }), /categories has duplicates/);
    rejects((s) => (s.imputeNumeric = [1, 2]), /imputeNumeric has 2 values for 1 numeric inputs/);
    rejects((s) => (s.scale = { offset: [0, 0], scale: [1, 1] }), /scale\.offset must have 3 values/);
    rejects((s) => { if (s.model.type === 'linear') s.model.state.nFeatures = 4; }, /model\.state\.nFeatures is 4, the encoded width is 3/);
    rejects((s) => (s.model = { type: 'linear', task: 'classification', classes: [0, 1.5], state: { coef: Float64Array.from([1, 2, 3]), intercept: Float64Array.from([0]), nFeatures: 3, nOutputs: 1, postTransform: 'logistic' } }), /classes\[1\] = 1.5 is not an integer/);
    rejects((s) => (s.model = { type: 'linear', task: 'classification', classes: [0, 1, 2], state: { coef: Float64Array.from([1, 2, 3]), intercept: Float64Array.from([0]), nFeatures: 3, nOutputs: 1, postTransform: 'softmax' } }), /1 outputs for 3 classes/);
    rejects((s) => (s.model = { type: 'kmeans', centers: { rows: 1, cols: 2, data: Float64Array.from([0, 0]) } }), /centers has 2 columns/);
    const cyclic: FlatTree = {
      feature: Int32Array.from([0, 0, -1]), threshold: Float64Array.from([0, 0, 0]),
      left: Int32Array.from([1, 0, -1]), right: Int32Array.from([2, 2, -1]), value: new Float64Array(3), nOutputs: 1,
    };
    rejects((s) => (s.model = { type: 'treeEnsemble', task: 'regression', ensemble: { trees: [cyclic], aggregate: 'sum', base: [0], postTransform: 'none', nFeatures: 3 } }), /trees\[0\]: node \d is reached twice/);
    const outOfRange: FlatTree = { ...cyclic, left: Int32Array.from([1, 2, -1]), feature: Int32Array.from([0, 7, -1]) };
    rejects((s) => (s.model = { type: 'treeEnsemble', task: 'regression', ensemble: { trees: [outOfRange], aggregate: 'sum', base: [0], postTransform: 'none', nFeatures: 3 } }), /trees\[0\]\.feature\[1\] = 7 is outside the 3 encoded features/);
  });

  test('bad rows fail naming the input', async () => {
    const bytes = exportOnnx(base());
    await assert.rejects(runOnnx(bytes, [{ a: 'abc', c: 'x' }]), /input 'a' row 0: expected a number, got "abc"/);
    await assert.rejects(runOnnx(bytes, { length: 1, columns: new Map([['c', ['x']]]) }), /input 'a' is missing from the frame/);
    assert.throws(() => predictSpec(base(), { length: 1, columns: new Map<string, Float64Array | string[]>([['a', ['1']], ['c', ['x']]]) }), /input 'a' must be a numeric column/);
  });

  test('zero rows give empty outputs', async () => {
    const out = await runOnnx(exportOnnx(base()), []);
    assert.equal(out.prediction.length, 0);
  });
});
