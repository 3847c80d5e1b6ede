// The serving kernels compute what the estimators compute: the SIMD dot-product scorer against
// a float64 reference, and an accelerated playlist model against the unaccelerated one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlaylistModel } from '../../src/analytics/music/playlist.ts';
import { dotScorer } from '../../src/serving/kernels/dot-f32.ts';
import { quantizedTopK } from '../../src/serving/kernels/topk-i8.ts';
import { drainHeap, heapSelect } from '../../src/ml/recsys/recommender.ts';
import { accelerate } from '../../src/serving/servables.ts';
import { playlistModel } from './fixtures.ts';

test('dotScorer matches a float64 dot product, with and without SIMD widths', () => {
  let s = 3;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5);
  for (const [n, f] of [[1, 16], [257, 64], [100, 32], [50, 10], [33, 3]] as const) {
    const Y = Float32Array.from({ length: n * f }, rnd);
    const x = Float64Array.from({ length: f }, rnd);
    const scorer = dotScorer(Y, n, f);
    assert.equal(scorer.simd, f % 16 === 0 && typeof WebAssembly === 'object', `n=${n} f=${f}`);
    const got = scorer.score(x);
    assert.equal(got.length, n);
    for (let i = 0; i < n; i++) {
      let ref = 0;
      for (let k = 0; k < f; k++) ref += Math.fround(x[k]!) * Y[i * f + k]!;
      assert.ok(Math.abs(got[i]! - ref) < 1e-5, `row ${i}: ${got[i]} vs ${ref}`);
    }
    assert.notEqual(scorer.score(x), scorer.score(x), 'each call returns its own array');
    assert.deepEqual(scorer.scoreShared(x), got, 'the shared buffer holds the same scores');
    assert.equal(scorer.scoreShared(x), scorer.scoreShared(x), 'and is reused');
  }
  assert.throws(() => dotScorer(new Float32Array(10), 3, 4), /10 values/);
});

test('an accelerated playlist model recommends what the original does', async () => {
  const json = JSON.parse(JSON.stringify((await playlistModel({ users: 120, tracks: 400, factors: 16 })).toJSON()));
  const plain = PlaylistModel.fromJSON(json), fast = PlaylistModel.fromJSON(json);
  assert.equal(accelerate(fast.recommender, json.recommender), true);
  assert.equal(typeof fast.recommender.topItems, 'function', 'the quantized top-k path is in use');
  for (let u = 0; u < 120; u += 7) {
    const a = plain.playlist(`u${u}`, 10), b = fast.playlist(`u${u}`, 10);
    assert.deepEqual(b.tracks.map((t) => t.track_id), a.tracks.map((t) => t.track_id), `user u${u}`);
    assert.deepEqual(b.tracks.map((t) => t.score), a.tracks.map((t) => t.score), `user u${u}`);
    assert.deepEqual(b.tracks.map((t) => t.reason), a.tracks.map((t) => t.reason));
  }
});

test('quantizedTopK returns exactly the dense top k: items, float32 scores, order and ties', () => {
  let s = 11;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  let exactRows = 0, calls = 0;
  for (const [n, f] of [[3000, 64], [1000, 20], [700, 7], [5, 16], [40, 1]] as const) {
    // heavy-tailed values, duplicated rows (exact ties) and an all-zero row
    const Y = Float32Array.from({ length: n * f }, () => (rnd() - 0.5) * (rnd() < 0.02 ? 20 : 1));
    for (let d = 0; d < n / 10; d++) { const from = Math.floor(rnd() * n), to = Math.floor(rnd() * n); Y.copyWithin(to * f, from * f, from * f + f); }
    Y.fill(0, 0, f);
    const dense = dotScorer(Y, n, f);
    const top = quantizedTopK(Y, n, f, dense);
    assert.ok(top, `n=${n} f=${f}: WebAssembly SIMD is available here`);
    for (let t = 0; t < 40; t++) {
      const x = Float64Array.from({ length: f }, () => (t % 5 === 0 ? 0 : rnd() - 0.3));
      const k = [1, 10, 30, 100, n + 5][t % 5]!;
      const masked = Int32Array.from({ length: t % 3 === 0 ? 0 : Math.min(n, 25) }, () => Math.floor(rnd() * n));
      const scores = dense.score(x);
      for (const i of masked) scores[i] = -Infinity;
      const hs = new Float64Array(k), hi = new Int32Array(k);
      const want = drainHeap(hs, hi, heapSelect(scores, 0, n, k, hs, hi), new Int32Array(Math.min(k, n)));
      const idx = new Int32Array(k), score = new Float32Array(k);
      const got: number = top!.topK(x, k, masked, masked.length, idx, score);
      const expected = Array.from(want.subarray(0, Math.min(k, n - new Set(masked).size)));
      assert.deepEqual(Array.from(idx.subarray(0, got)), expected, `n=${n} f=${f} k=${k} t=${t}`);
      assert.deepEqual(Array.from(score.subarray(0, got)), expected.map((i) => scores[i]!));
      if (n === 3000 && k <= 30 && t % 5 !== 0) { exactRows += top!.lastExact; calls++; }
    }
  }
  // the point of the kernel: most rows are never scored exactly (k <= 30 of 3,000 here)
  assert.ok(exactRows / calls < 300, `${(exactRows / calls).toFixed(0)} rows scored exactly per call`);
  assert.equal(quantizedTopK(new Float32Array(0), 0, 8, dotScorer(new Float32Array(0), 0, 8)), null);
});
