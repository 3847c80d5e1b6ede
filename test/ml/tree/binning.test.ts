import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binMatrix, binOf, fitBinEdges } from '../../../src/ml/tree/binning.ts';
import { buildBinnedData, featureBin } from '../../../src/ml/tree/dataset.ts';
import { mixedX, uniformX } from './helpers.ts';

test('few distinct values get one bin each, edges at midpoints', () => {
  const X = { rows: 6, cols: 1, data: Float64Array.of(3, 1, 2, 2, 1, 5) };
  const be = fitBinEdges(X, 255);
  assert.deepEqual(Array.from(be.edges[0]!), [1.5, 2.5, 4]);
  assert.deepEqual(Array.from(binMatrix(X, be)), [2, 0, 1, 1, 0, 3]);
});

test('many distinct values are cut into at most maxBins quantile bins of similar size', () => {
  const X = uniformX(10_000, 1, 3);
  const be = fitBinEdges(X, 16);
  assert.ok(be.edges[0]!.length <= 15);
  const counts = new Array(be.edges[0]!.length + 1).fill(0);
  for (const b of binMatrix(X, be)) counts[b]++;
  for (const c of counts) assert.ok(c > 10_000 / 16 * 0.8 && c < 10_000 / 16 * 1.2, `bin size ${c}`);
});

test('a bin b holds exactly the values v with v <= edges[b] (so thresholds are real values)', () => {
  const X = uniformX(2000, 2, 4);
  const be = fitBinEdges(X, 32);
  const bins = binMatrix(X, be);
  for (let i = 0; i < X.rows; i++) {
    for (let f = 0; f < 2; f++) {
      const v = X.data[i * 2 + f]!, b = bins[i * 2 + f]!, e = be.edges[f]!;
      if (b < e.length) assert.ok(v <= e[b]!);
      if (b > 0) assert.ok(v > e[b - 1]!);
      assert.equal(binOf(e, v), b);
    }
  }
});

test('one-hot columns are bundled into one column without losing any bin', () => {
  const { X } = mixedX(500, 5);
  const data = buildBinnedData(X);
  assert.equal(data.nCols, 4, 'three numeric columns + one bundle for the four one-hot columns');
  const raw = binMatrix(X, fitBinEdges(X));
  for (let i = 0; i < X.rows; i++) for (let f = 0; f < X.cols; f++) assert.equal(featureBin(data, i, f), raw[i * X.cols + f]);
});

test('the same rows are binned once for several fits, and again once changed in place', () => {
  const X = { rows: 6, cols: 2, data: Float64Array.of(1, 0, 2, 1, 3, 0, 4, 1, 5, 0, 6, 1) };
  const a = buildBinnedData(X, { maxBins: 4 });
  assert.equal(buildBinnedData(X, { maxBins: 4 }), a, 'same data, same options: the binning is reused');
  assert.notEqual(buildBinnedData(X, { maxBins: 3 }), a, 'other options: binned again');
  const b = buildBinnedData(X, { maxBins: 4 });
  X.data[0] = 100; // the largest value of feature 0 now
  const c = buildBinnedData(X, { maxBins: 4 });
  assert.notEqual(c, b, 'changed in place: binned again');
  assert.equal(featureBin(c, 0, 0), c.edges[0]!.length, 'row 0 falls in the last bin of feature 0');
  assert.equal(buildBinnedData({ ...X, data: X.data.slice() }, { maxBins: 4 }) === c, false, 'an equal copy is another matrix');
});

test('heavy values take a bin each and the other values still share the remaining bins (no bins lost to heaps)', () => {
  // 300 distinct values, 20 of them heaped (each ~3% of the rows, like diamonds' "magic" carats)
  const vals: number[] = [];
  for (let v = 0; v < 300; v++) vals.push(v);
  for (let h = 0; h < 20; h++) for (let k = 0; k < 300; k++) vals.push(h * 15);
  const X = { rows: vals.length, cols: 1, data: Float64Array.from(vals) };
  const e = fitBinEdges(X, 255).edges[0]!;
  assert.ok(e.length >= 240, `${e.length} edges for 300 distinct values and 255 bins`);
  for (let h = 0; h < 20; h++) {
    const b = binOf(e, h * 15);
    assert.ok(b === 0 || e[b - 1]! > h * 15 - 1, `heap ${h * 15} shares its bin with the value below`);
    assert.ok(b === e.length || e[b]! < h * 15 + 1, `heap ${h * 15} shares its bin with the value above`);
  }
});
