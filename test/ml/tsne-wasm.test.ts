// The WebAssembly t-SNE gradient gives its JavaScript twin's gradient and normaliser bit for bit,
// and both are the t-SNE gradient (checked against a plain all-pairs formula in double precision;
// the repulsion runs in single precision).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowDistances, tsneGradient2d, tsneSimd, type UpperP } from '../../src/ml/decomposition/tsne-wasm.ts';

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** A random symmetric sparse P (upper triangle), about `deg` entries per row. */
function randomP(n: number, deg: number, rnd: () => number): UpperP {
  const rowPtr = new Int32Array(n + 1), cols: number[] = [], vals: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) if (rnd() < deg / n) { cols.push(j); vals.push(rnd() / (n * deg)); }
    rowPtr[i + 1] = cols.length;
  }
  return { rowPtr, cols: Int32Array.from(cols), vals: Float64Array.from(vals) };
}

/** The textbook gradient: 4 sum_j (ex p_ij - q_ij) w_ij (y_i - y_j), all ordered pairs. */
function reference(Y: Float64Array, n: number, P: UpperP, ex: number): { grad: Float64Array; Z: number } {
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let t = P.rowPtr[i]!; t < P.rowPtr[i + 1]!; t++) { p[i * n + P.cols[t]!] = P.vals[t]!; p[P.cols[t]! * n + i] = P.vals[t]!; }
  let Z = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) Z += 1 / (1 + (Y[2 * i]! - Y[2 * j]!) ** 2 + (Y[2 * i + 1]! - Y[2 * j + 1]!) ** 2);
  const grad = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    if (i === j) continue;
    const w = 1 / (1 + (Y[2 * i]! - Y[2 * j]!) ** 2 + (Y[2 * i + 1]! - Y[2 * j + 1]!) ** 2);
    for (let c = 0; c < 2; c++) grad[2 * i + c] += 4 * (ex * p[i * n + j]! - w / Z) * w * (Y[2 * i + c]! - Y[2 * j + c]!);
  }
  return { grad, Z };
}

test('t-SNE gradient: WebAssembly equals its JavaScript twin exactly, and both are the gradient', (t) => {
  if (!tsneSimd()) t.diagnostic('no WebAssembly SIMD here: only the JavaScript twin is checked');
  for (const n of [2, 3, 7, 8, 301]) {
    const rnd = lcg(n);
    const P = randomP(n, 6, rnd);
    const Y = Float64Array.from({ length: 2 * n }, () => (rnd() - 0.5) * 10);
    const wasm = tsneGradient2d(n, P), js = tsneGradient2d(n, P, { js: true });
    const a = new Float64Array(2 * n), b = new Float64Array(2 * n);
    for (const ex of [12, 1]) {
      const za = wasm.gradient(Y, ex, a), zb = js.gradient(Y, ex, b);
      assert.equal(za, zb, `Z at n = ${n}`);
      assert.deepEqual(a, b, `gradient at n = ${n}`);
      assert.equal(wasm.normaliser(Y), za);
      const r = reference(Y, n, P, ex);
      assert.ok(Math.abs(za - r.Z) <= 1e-6 * r.Z, `Z ${za} vs ${r.Z}`);
      const scale = Math.max(1e-300, ...Array.from(r.grad, Math.abs));
      for (let k = 0; k < 2 * n; k++) assert.ok(Math.abs(a[k]! - r.grad[k]!) <= 1e-5 * scale, `gradient[${k}] at n = ${n}: ${a[k]} vs ${r.grad[k]}`);
    }
    // the same layout again gives the same result (no state carried between calls)
    const again = new Float64Array(2 * n);
    wasm.gradient(Y, 1, again);
    assert.deepEqual(again, a);
  }
});

test('t-SNE row distances: WebAssembly equals the plain loop exactly', () => {
  for (const [n, d] of [[1, 3], [2, 1], [7, 13], [300, 5]] as const) {
    const rnd = lcg(n * 31 + d);
    const X = { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => (rnd() - 0.5) * 8) };
    const wasm = rowDistances(X), js = rowDistances(X, { js: true });
    const a = new Float64Array(n), b = new Float64Array(n);
    for (const i of [0, n >> 1, n - 1]) {
      wasm(i, a); js(i, b);
      assert.deepEqual(a, b, `row ${i} of ${n} x ${d}`);
      assert.equal(a[i], 0);
      const j = (i + 1) % n;
      let s = 0;
      for (let t = 0; t < d; t++) s += (X.data[i * d + t]! - X.data[j * d + t]!) ** 2;
      assert.ok(Math.abs(a[j]! - s) <= 1e-12 * Math.max(1, s));
    }
  }
});
