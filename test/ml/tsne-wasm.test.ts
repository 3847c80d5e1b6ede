// The WebAssembly t-SNE repulsion gives the JavaScript loop's forces and normaliser bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasmRepulsion2d } from '../../src/ml/decomposition/tsne-wasm.ts';

function reference(Y: Float64Array, n: number, rep: Float64Array): number {
  let Z = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const e0 = Y[2 * i]! - Y[2 * j]!, e1 = Y[2 * i + 1]! - Y[2 * j + 1]!;
    const w = 1 / (1 + (e0 * e0 + e1 * e1));
    Z += 2 * w;
    const w2 = w * w;
    rep[2 * i] += w2 * e0; rep[2 * i + 1] += w2 * e1;
    rep[2 * j] -= w2 * e0; rep[2 * j + 1] -= w2 * e1;
  }
  return Z;
}

test('t-SNE repulsion: WebAssembly equals the JavaScript loop exactly', (t) => {
  for (const n of [1, 2, 7, 300]) {
    const rep = wasmRepulsion2d(n);
    if (!rep) { t.skip('no WebAssembly SIMD here'); return; }
    let s = n;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 10;
    const Y = Float64Array.from({ length: 2 * n }, rnd);
    const a = new Float64Array(2 * n), b = new Float64Array(2 * n);
    assert.equal(rep(Y, a), reference(Y, n, b), `Z at n = ${n}`);
    assert.deepEqual(a, b, `forces at n = ${n}`);
    // a second call starts from the forces it is given (t-SNE passes zeros each iteration)
    assert.equal(rep(Y, a.fill(0)), reference(Y, n, b.fill(0)));
  }
});
