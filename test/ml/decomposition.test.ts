import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PCA, TSNE } from '../../src/ml/decomposition/index.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { fromRows } from '../../src/ml/core/matrix.ts';
import { NotFittedError, InvalidParameterError } from '../../src/ml/core/errors.ts';
import { silhouette } from '../../src/ml/metrics/index.ts';
import { blobs } from './helpers.ts';

test('PCA recovers known principal axes and variances', () => {
  // independent variances 9, 4, 0.25 along axes rotated by 30 degrees in the x-y plane, plus offset
  const r = new Rng(3), n = 20000;
  const a = Math.PI / 6, u = [Math.cos(a), Math.sin(a), 0], v = [-Math.sin(a), Math.cos(a), 0], w = [0, 0, 1];
  const data = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s1 = 3 * r.normal(), s2 = 2 * r.normal(), s3 = 0.5 * r.normal();
    for (let j = 0; j < 3; j++) data[i * 3 + j] = 5 + s1 * u[j]! + s2 * v[j]! + s3 * w[j]!;
  }
  const X = { rows: n, cols: 3, data };
  const pca = new PCA({ nComponents: 3 }).fit(X);
  const C = pca.components;
  for (const [c, axis] of [u, v, w].entries()) {
    const dot = Math.abs(C.data[c * 3]! * axis[0]! + C.data[c * 3 + 1]! * axis[1]! + C.data[c * 3 + 2]! * axis[2]!);
    assert.ok(dot > 0.999, `component ${c} |cos| = ${dot}`);
  }
  const ev = pca.explainedVariance;
  assert.ok(Math.abs(ev[0]! - 9) < 0.3 && Math.abs(ev[1]! - 4) < 0.15 && Math.abs(ev[2]! - 0.25) < 0.01, String(ev));
  const ratio = pca.explainedVarianceRatio;
  assert.ok(Math.abs(ratio[0]! + ratio[1]! + ratio[2]! - 1) < 1e-12);
  // all components: the round trip is exact
  const back = pca.inverseTransform(pca.transform(X));
  for (let t = 0; t < 300; t++) assert.ok(Math.abs(back.data[t]! - data[t]!) < 1e-9);
  // a variance fraction keeps just enough components
  assert.equal(new PCA({ nComponents: 0.9 }).fit(X).components.rows, 2);
});

test('PCA on a hand-sized example; JSON round trip; errors', () => {
  // points on the line y = x: one component along (1,1)/sqrt2 carrying all variance
  const X = fromRows([[0, 0], [1, 1], [2, 2], [3, 3]]);
  const pca = new PCA({ nComponents: 1 }).fit(X);
  assert.ok(Math.abs(pca.components.data[0]! - Math.SQRT1_2) < 1e-12 && Math.abs(pca.components.data[1]! - Math.SQRT1_2) < 1e-12);
  assert.ok(Math.abs(pca.explainedVariance[0]! - 10 / 3) < 1e-12); // sample variance of projections
  const z = pca.transform(X);
  assert.ok(Math.abs(z.data[0]! + 1.5 * Math.SQRT2) < 1e-12);
  const back = PCA.fromJSON(JSON.parse(JSON.stringify(pca.toJSON())));
  assert.deepEqual(Array.from(back.transform(X).data), Array.from(z.data));
  assert.throws(() => new PCA().transform(X), NotFittedError);
  assert.throws(() => new PCA({ nComponents: 5 }).fit(X), InvalidParameterError);
});

test('t-SNE separates three 10-D blobs and is deterministic for a seed', () => {
  const centres = [Array(10).fill(0), Array(10).fill(0).map((_, j) => (j < 5 ? 8 : 0)), Array(10).fill(0).map((_, j) => (j >= 5 ? 8 : 0))];
  const { X, y } = blobs(centres, 50, 1, 5);
  const t = new TSNE({ perplexity: 15, maxIter: 500, seed: 1 });
  const res = t.fitTransform(X);
  assert.equal(res.embedding.rows, 150);
  assert.equal(res.embedding.cols, 2);
  assert.ok(silhouette(res.embedding, y) > 0.4, `silhouette ${silhouette(res.embedding, y)}`);
  // every point's nearest neighbour in the map comes from its own blob
  const E = res.embedding.data;
  for (let i = 0; i < 150; i++) {
    let best = -1, bd = Infinity;
    for (let j = 0; j < 150; j++) {
      if (j === i) continue;
      const dd = (E[2 * i]! - E[2 * j]!) ** 2 + (E[2 * i + 1]! - E[2 * j + 1]!) ** 2;
      if (dd < bd) { bd = dd; best = j; }
    }
    assert.equal(y[best], y[i], `point ${i}`);
  }
  assert.ok(res.kl > 0 && res.kl < 1, `KL ${res.kl}`);
  const again = new TSNE({ perplexity: 15, maxIter: 500, seed: 1 }).fitTransform(X);
  assert.deepEqual(Array.from(again.embedding.data), Array.from(res.embedding.data));
  // sampling: only maxSamples rows are embedded, and indices say which
  const s = new TSNE({ perplexity: 5, maxIter: 50, maxSamples: 60 }).fitTransform(X);
  assert.equal(s.embedding.rows, 60);
  assert.equal(new Set(s.indices).size, 60);
  assert.throws(() => new TSNE({ nComponents: 4 }), InvalidParameterError);
  assert.throws(() => new TSNE({ exaggerationIter: -1 }), InvalidParameterError);
  // a shorter exaggerated phase is a different run of the same seed
  const shorter = new TSNE({ perplexity: 15, maxIter: 500, exaggerationIter: 100, seed: 1 }).fitTransform(X);
  assert.notDeepEqual(Array.from(shorter.embedding.data), Array.from(res.embedding.data));
  assert.ok(shorter.kl > 0 && shorter.kl < 1, `KL ${shorter.kl}`);
});
