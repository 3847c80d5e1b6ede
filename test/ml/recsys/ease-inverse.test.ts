import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/ml/core/rng.ts';
import { cholesky, setSpdWasm, spdInverseInPlace } from '../../../src/ml/recsys/spd-inverse.ts';
import { spdModule } from '../../../src/ml/recsys/spd-wasm.ts';
import { Ease } from '../../../src/ml/recsys/ease.ts';
import { Interactions } from '../../../src/ml/recsys/interactions.ts';

function randomSpd(n: number, seed: number): Float64Array {
  const rng = new Rng(seed), m = n + 5;
  const X = Float64Array.from({ length: m * n }, () => rng.normal());
  const G = new Float64Array(n * n);
  for (let r = 0; r < m; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[i * n + j]! += X[r * n + i]! * X[r * n + j]!;
  for (let i = 0; i < n; i++) G[i * n + i]! += 0.5;
  return G;
}

test('SPD inverse: G * inverse(G) = I across block and tile edge sizes', () => {
  // sizes around the 4-wide tiles and 64-wide panels
  for (const n of [1, 2, 5, 63, 64, 65, 131]) {
    const G = randomSpd(n, n);
    const P = spdInverseInPlace(G.slice(), n);
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += G[i * n + k]! * P[k * n + j]!;
      err = Math.max(err, Math.abs(s - (i === j ? 1 : 0)));
    }
    assert.ok(err < 1e-9, `n=${n}: max |G P - I| = ${err}`);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.equal(P[i * n + j], P[j * n + i]);
  }
});

test('cholesky: L L^T = G, and a non-positive-definite matrix is rejected', () => {
  const n = 70, G = randomSpd(n, 1), L = G.slice();
  cholesky(L, n);
  let err = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k <= j; k++) s += L[i * n + k]! * L[j * n + k]!;
    err = Math.max(err, Math.abs(s - G[i * n + j]!));
  }
  assert.ok(err < 1e-9, `max |L L^T - G| = ${err}`);
  assert.throws(() => cholesky(Float64Array.of(1, 2, 2, 1), 2), /not positive definite \(pivot 1/);
});

test('EASE weights match the closed form B = I - P diagMat(1 / diag(P)) on a small example', async () => {
  // 4 users x 3 items, binary
  const data = Interactions.fromTriples({
    users: ['a', 'a', 'b', 'b', 'b', 'c', 'd', 'd'],
    items: ['x', 'y', 'x', 'y', 'z', 'z', 'y', 'z'],
  });
  const lambda = 2;
  const m = await new Ease({ lambda }).fit(data);
  // G = X^T X + lambda I computed by hand: x:[2,2,1] y:[2,3,2] z:[1,2,3]
  const G = Float64Array.of(2 + lambda, 2, 1, 2, 3 + lambda, 2, 1, 2, 3 + lambda);
  const P = spdInverseInPlace(G, 3);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    const expected = i === j ? 0 : -P[i * 3 + j]! / P[j * 3 + j]!;
    assert.ok(Math.abs(m.weights![i * 3 + j]! - expected) < 1e-6, `B[${i}][${j}]`);
  }
});

test('SPD inverse: the WebAssembly SIMD kernel agrees with the JavaScript loop (odd sizes, tails)', (t) => {
  if (!spdModule()) { t.skip('no WebAssembly SIMD / shared memory here'); return; }
  for (const n of [97, 130, 203]) {
    const G = randomSpd(n, n + 1);
    const viaWasm = spdInverseInPlace(G.slice(), n);
    setSpdWasm(false);
    let viaJs: Float64Array;
    try { viaJs = spdInverseInPlace(G.slice(), n); } finally { setSpdWasm(true); }
    let diff = 0, scale = 0;
    for (let i = 0; i < n * n; i++) { diff = Math.max(diff, Math.abs(viaWasm[i]! - viaJs[i]!)); scale = Math.max(scale, Math.abs(viaJs[i]!)); }
    assert.ok(diff <= 1e-12 * scale, `n=${n}: max difference ${diff} (scale ${scale})`);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.equal(viaWasm[i * n + j], viaWasm[j * n + i]);
  }
});

test('EASE: the same weights with worker threads as serially (both through the SIMD kernel)', async () => {
  const users: string[] = [], items: string[] = [];
  const rng = new Rng(4);
  for (let u = 0; u < 300; u++) for (let k = 0; k < 12; k++) { users.push(`u${u}`); items.push(`i${Math.floor(rng.random() ** 2 * 600)}`); }
  const data = Interactions.fromTriples({ users, items });
  const a = await new Ease({ lambda: 50, threads: 1 }).fit(data);
  const b = await new Ease({ lambda: 50, threads: 2 }).fit(data);
  assert.deepEqual(b.weights, a.weights);
});
