// The WebAssembly SIMD ALS kernel against its plain TypeScript twin (als-wasm.ts: the same
// operations lane by lane, in the same order), byte for byte over the whole memory; and against
// the scalar JavaScript kernel als.ts runs without SIMD (als-kernel.ts): same algorithm, other
// summation order, so float64 agrees to rounding and float32 (f32x4 arithmetic) closely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alsLayout, alsMemory, alsModule, gramTwin, gramWasm, instantiateAls, solveTwin, solveWasm } from '../../../src/ml/recsys/als-wasm.ts';
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

/** a plain copy of a memory's bytes, for the twin */
const copyOf = (m: WebAssembly.Memory) => { const b = new ArrayBuffer(m.buffer.byteLength); new Uint8Array(b).set(new Uint8Array(m.buffer)); return b; };
const same = (m: WebAssembly.Memory, b: ArrayBuffer) => Buffer.from(new Uint8Array(m.buffer)).equals(Buffer.from(new Uint8Array(b)));

// factor counts whose v128 chunk count C = f / lanes is 1, 2, 3, 4, 5 and 9: below, at and past
// one block of four chunks (the kernels' runtime loops run over blocks of four, the rest unrolled)
for (const [dtype, fs] of [['float32', [4, 8, 12, 16, 20, 36]], ['float64', [2, 4, 6, 8, 10, 18]]] as const) {
  test(`ALS kernels equal their TypeScript twin byte for byte (${dtype}; f = ${fs.join(', ')}; no rows, one row, empty rows)`, () => {
    const rng = new Rng(fs[2]! + (dtype === 'float32' ? 0 : 1));
    for (const f of fs) {
      const nU = 9, nI = 7;
      // row 0 has no items, row 1 one, row 2 all; row 3 has no items and x = 0 (CG stops at once)
      const indptr = new Int32Array(nU + 1), idx: number[] = [], cm: number[] = [];
      for (let u = 0; u < nU; u++) {
        for (let i = 0; i < nI; i++) {
          if (u === 0 || u === 3) continue;
          if ((u === 1 && i === 4) || u === 2 || (u > 3 && rng.random() < 0.4)) { idx.push(i); cm.push(3 * rng.random()); }
        }
        indptr[u + 1] = idx.length;
      }
      const { layout: L, bytes } = alsLayout(f, dtype, nU, nI, idx.length, 1);
      const mem = alsMemory(bytes)!;
      assert.ok(mem && alsModule(f, dtype), 'WebAssembly SIMD with shared memory is available');
      const b = mem.buffer;
      const view = (at: number, n: number) => (dtype === 'float32' ? new Float32Array(b, at, n) : new Float64Array(b, at, n));
      new Int32Array(b, L.users.indptr, nU + 1).set(indptr);
      new Int32Array(b, L.users.indices, idx.length).set(idx);
      new Float32Array(b, L.users.cm1, idx.length).set(cm);
      const fns = instantiateAls(f, dtype, mem);
      for (const steps of [0, 1, 3]) {
        const X = view(L.X, nU * f), Y = view(L.Y, nI * f), A = view(L.A, f * f);
        for (let k = 0; k < X.length; k++) X[k] = rng.normal();
        X.fill(0, 3 * f, 4 * f);
        for (let k = 0; k < Y.length; k++) Y[k] = rng.normal();
        // A = Y^T Y + reg I (symmetric positive definite, as the fit's)
        for (let a = 0; a < f; a++) for (let c = 0; c < f; c++) {
          let s = a === c ? 0.5 + rng.random() : 0;
          for (let i = 0; i < nI; i++) s += Y[i * f + a]! * Y[i * f + c]!;
          A[a * f + c] = s;
        }
        for (const [lo, hi] of [[0, 0], [2, 3], [0, nU]]) {
          const twin = copyOf(mem);
          fns.solve(lo, hi, L.users.indptr, L.users.indices, L.users.cm1, L.X, L.Y, L.A, L.scratch, steps);
          solveTwin(twin, f, dtype, lo, hi, L.users.indptr, L.users.indices, L.users.cm1, L.X, L.Y, L.A, L.scratch, steps);
          assert.ok(same(mem, twin), `solve f=${f} rows [${lo}, ${hi}) steps=${steps}: memories differ`);
        }
        const out = L.scratch + 3 * f * 8 + 64;
        for (const [lo, hi] of [[0, 0], [4, 5], [0, nI]]) {
          new Float64Array(b, out, f * f).fill(0.25);
          const twin = copyOf(mem);
          fns.gram(L.Y, lo, hi, out);
          gramTwin(twin, f, dtype, L.Y, lo, hi, out);
          assert.ok(same(mem, twin), `gram f=${f} rows [${lo}, ${hi}): memories differ`);
        }
      }
    }
  });
}
