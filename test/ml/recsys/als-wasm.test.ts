// The WebAssembly SIMD ALS kernel against the scalar JavaScript one (als-kernel.ts) on the same
// rows: same algorithm, so float64 agrees to rounding and float32 (f32x4 arithmetic) closely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alsLayout, alsMemory, alsModule, gramWasm, instantiateAls, solveWasm } from '../../../src/ml/recsys/als-wasm.ts';
import { gramChunk, makeScratch, solveRows } from '../../../src/ml/recsys/als-kernel.ts';
import { Rng } from '../../../src/ml/core/rng.ts';

for (const [f, dtype, tol] of [[64, 'float32', 1e-5], [12, 'float32', 1e-5], [64, 'float64', 1e-12], [6, 'float64', 1e-12]] as const) {
  test(`wasm ALS kernel matches the JavaScript kernel (f=${f}, ${dtype})`, () => {
    const rng = new Rng(f);
    const nU = 40, nI = 25, slots = 2;
    const indptr = new Int32Array(nU + 1), idx: number[] = [], cm: number[] = [];
    for (let u = 0; u < nU; u++) {
      // include empty rows and a full one
      for (let i = 0; i < nI; i++) if (u === 1 || (u % 7 !== 0 && rng.random() < 0.3)) { idx.push(i); cm.push(3 * rng.random()); }
      indptr[u + 1] = idx.length;
    }
    const { layout: L, bytes } = alsLayout(f, dtype, nU, nI, idx.length, slots);
    const mem = alsMemory(bytes);
    assert.ok(mem && alsModule(f, dtype), 'WebAssembly SIMD with shared memory is available');
    const view = (at: number, n: number) => (dtype === 'float32' ? new Float32Array(mem.buffer, at, n) : new Float64Array(mem.buffer, at, n));
    new Int32Array(mem.buffer, L.users.indptr, nU + 1).set(indptr);
    new Int32Array(mem.buffer, L.users.indices, idx.length).set(idx);
    new Float32Array(mem.buffer, L.users.cm1, idx.length).set(cm);
    const X = view(L.X, nU * f), Y = view(L.Y, nI * f);
    for (let k = 0; k < X.length; k++) X[k] = rng.normal();
    for (let k = 0; k < Y.length; k++) Y[k] = rng.normal();
    const fns = instantiateAls(f, dtype, mem);

    const A = new Float64Array(f * f);
    gramChunk(Y, f, 0, nI, A);
    const G = gramWasm(fns, L, mem, 'item', 0, nI, 1);
    for (let a = 0; a < f; a++) {
      for (let b = a; b < f; b++) assert.ok(Math.abs(G[a * f + b]! - A[a * f + b]!) <= tol * (1 + Math.abs(A[a * f + b]!)), `gram ${a},${b}`);
      for (let b = 0; b < a; b++) A[a * f + b] = A[b * f + a]!;
      A[a * f + a]! += 0.5;
    }
    view(L.A, f * f).set(A);
    const expected = dtype === 'float32' ? Float32Array.from(X) : Float64Array.from(X);
    solveRows({ indptr, indices: Int32Array.from(idx), cm1: Float32Array.from(cm) }, expected, Y, A, f, 3, 0, nU, makeScratch(f));
    // two ranges on two scratch slots, as two worker threads would
    solveWasm(fns, L, 'user', 0, 20, 0, 3);
    solveWasm(fns, L, 'user', 20, nU, 1, 3);
    for (let k = 0; k < X.length; k++) assert.ok(Math.abs(X[k]! - expected[k]!) <= tol * (1 + Math.abs(expected[k]!)), `x[${k}] ${X[k]} vs ${expected[k]}`);
  });
}

test('wasm ALS kernel is not built for factor counts that do not fill its lanes', () => {
  assert.equal(alsModule(6, 'float32'), null);
  assert.notEqual(alsModule(6, 'float64'), null);
});
