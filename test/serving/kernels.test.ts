// The serving kernels compute what the estimators compute: the SIMD dot-product scorer against
// a float64 reference, and an accelerated playlist model against the unaccelerated one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlaylistModel } from '../../src/analytics/music/playlist.ts';
import { dotScorer } from '../../src/serving/kernels/dot-f32.ts';
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
  for (let u = 0; u < 120; u += 7) {
    const a = plain.playlist(`u${u}`, 10), b = fast.playlist(`u${u}`, 10);
    assert.deepEqual(b.tracks.map((t) => t.track_id), a.tracks.map((t) => t.track_id), `user u${u}`);
    assert.deepEqual(b.tracks.map((t) => t.reason), a.tracks.map((t) => t.reason));
  }
});
