// Differential tests: each WebAssembly kernel against its plain TypeScript twin on seeded random
// inputs, edge sizes included (nothing, one row, widths that are not a multiple of the vector
// width), compared bit for bit (whole memories where the kernel writes to memory); the k-means
// seeding and assign kernels here on edge sizes. The other kernels' differential tests: t-SNE
// (tsne-wasm.test.ts), ALS (recsys/als-wasm.test.ts, against solveTwin and gramTwin), k-means
// E-steps over whole fits and the bounded E-step, pairwise distances and row scans (cluster.test.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/ml/core/rng.ts';
import { instantiate } from '../../src/util/wasm.ts';
import { histKernels, histTwin, partitionKernels, partitionTwin, vectorKernels, vectorTwin, type HistLayout } from '../../src/ml/tree/shard-wasm.ts';
import { LANES, instantiateWalk, walkTwin, type WalkLayout } from '../../src/ml/tree/wasm-walk.ts';
import { dotScorer, dotTwin } from '../../src/serving/kernels/dot-f32.ts';
import { TOPK_BLOCK, approxTwin, blockMaxTwin, topkKernel } from '../../src/serving/kernels/topk-i8.ts';
import { HEADER_BYTES, dot44Twin, spdKernel, spdMemory } from '../../src/ml/recsys/spd-wasm.ts';
import { WasmArena, wasmAssignBlock, wasmSeedBlock } from '../../src/ml/cluster/wasm-assign.ts';
import { assignRange, seedingPass } from '../../src/ml/cluster/kernels.ts';

interface TopK { approx(q: number, p: number, a: number, out: number, n: number): void; blockmax(v: number, bm: number, nb: number): void }
const sharedMemory = (pages: number) => new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
/** a plain copy of a memory's bytes, for the twin */
const copyOf = (m: WebAssembly.Memory) => { const b = new ArrayBuffer(m.buffer.byteLength); new Uint8Array(b).set(new Uint8Array(m.buffer)); return b; };
const sameBytes = (m: WebAssembly.Memory, b: ArrayBuffer, what: string) =>
  assert.ok(Buffer.from(new Uint8Array(m.buffer)).equals(Buffer.from(new Uint8Array(b))), `${what}: the kernel and its twin leave different memory`);
const randomBytes = (m: WebAssembly.Memory, rng: Rng) => {
  const u = new Uint8Array(m.buffer);
  for (let i = 0; i < u.length; i++) u[i] = rng.int(256);
};

test('boosting shard partition (pnum, pbun) equals its twin: rows, scratch and boundary', () => {
  const rng = new Rng(1), mem = sharedMemory(1), kern = partitionKernels(mem);
  const N = 300, rowsAt = 0, tmpAt = 4096, cbAt = 8192;
  for (const n of [0, 1, 2, 3, 7, 64, 257]) {
    for (const bundle of [false, true]) {
      randomBytes(mem, rng);
      const i32 = new Int32Array(mem.buffer), u8 = new Uint8Array(mem.buffer);
      for (let i = 0; i < N; i++) i32[(rowsAt >> 2) + i] = rng.int(N);
      for (let r = 0; r < N; r++) u8[cbAt + r] = rng.int(8);
      const a = rng.int(N - n + 1), b = a + n, key = rng.int(9);
      const twin = copyOf(mem);
      const got = bundle ? kern.pbun(rowsAt, tmpAt, cbAt, a, b, key) : kern.pnum(rowsAt, tmpAt, cbAt, a, b, key);
      assert.equal(got, partitionTwin(twin, bundle, rowsAt, tmpAt, cbAt, a, b, key), `n=${n} bundle=${bundle}`);
      sameBytes(mem, twin, `partition n=${n} bundle=${bundle}`);
    }
  }
});

test('boosting shard histograms (rows, pairs; gradients with and without hessians and counts) equal their twin', () => {
  const rng = new Rng(2), mem = sharedMemory(2);
  const nRows = 200;
  for (const nCols of [1, 3, 6]) {
    const nBins = Array.from({ length: nCols }, () => 1 + rng.int(8));
    const colOffset = Int32Array.from(nBins.map((_, c) => nBins.slice(0, c).reduce((s, v) => s + v, 0)));
    const totalBins = nBins.reduce((s, v) => s + v, 0);
    const L: HistLayout = { rowsAt: 64, binsAt: 64 + 4 * nRows, gAt: 8192, hAt: 8192 + 8 * nRows, nCols };
    const hist = 16384, h2 = hist + 24 * totalBins + 64;
    for (const stride of [2, 3] as const) {
      for (const counts of [false, true]) {
        const c0 = rng.int(nCols), c1 = c0 + 1 + rng.int(nCols - c0);
        const k = histKernels(mem, L, colOffset, c0, c1, stride, counts);
        for (const m of [0, 1, 2, 5, 64]) {
          randomBytes(mem, rng);
          const f64 = new Float64Array(mem.buffer), i32 = new Int32Array(mem.buffer), u8 = new Uint8Array(mem.buffer);
          for (let i = 0; i < nRows; i++) {
            i32[(L.rowsAt >> 2) + i] = rng.int(nRows);
            f64[(L.gAt >> 3) + i] = rng.random() - 0.5; f64[(L.hAt >> 3) + i] = rng.random();
            for (let c = 0; c < nCols; c++) u8[L.binsAt + i * nCols + c] = rng.int(nBins[c]!);
          }
          for (let b = 0; b < 2 * stride * totalBins; b++) { f64[(hist >> 3) + b] = rng.random(); f64[(h2 >> 3) + b] = rng.random(); }
          const k0 = rng.int(nRows - m + 1), pairs = m % 2 === 0;
          const twin = copyOf(mem);
          if (pairs) k.pairs(hist, h2, k0, k0 + m); else k.rows(hist, k0, k0 + m);
          histTwin(twin, L, colOffset, c0, c1, stride, counts, hist, pairs ? h2 : -1, k0, k0 + m);
          sameBytes(mem, twin, `histogram cols=${nCols} [${c0},${c1}) stride=${stride} counts=${counts} rows=${m}`);
        }
      }
    }
  }
});

test('boosting shard vector kernels (sub, add, zero) equal their twin, odd counts included', () => {
  const rng = new Rng(3), mem = sharedMemory(1), k = vectorKernels(mem);
  for (const count of [0, 1, 2, 3, 17, 100]) {
    for (const op of ['sub', 'add', 'zero'] as const) {
      const f64 = new Float64Array(mem.buffer);
      for (let i = 0; i < f64.length; i++) f64[i] = rng.random() * 10 - 5;
      const dst = 16 * rng.int(10), src = 4096 + 16 * rng.int(10);
      const twin = copyOf(mem);
      if (op === 'zero') k.zero(dst, count); else k[op](dst, src, count);
      vectorTwin(twin, op, dst, src, count);
      sameBytes(mem, twin, `${op} count=${count}`);
    }
  }
});

test('tree walk equals its twin on random forests (leaves reached by every tree)', () => {
  const rng = new Rng(4);
  for (const nTrees of [1, 7, 8, 9, 24]) {
    const FM = 7, DS = 11, nFeat = 8;
    const nodes: number[] = [], roots: number[] = [];
    /** a random subtree at nodes[slot]: an internal node's children are a pair, left then right */
    const place = (slot: number, depth: number): void => {
      if (depth === 0 || rng.random() < 0.3) { nodes[slot] = -1 - rng.int(1000); return; }
      const left = nodes.length;
      nodes.push(0, 0);
      place(left, depth - 1); place(left + 1, depth - 1);
      nodes[slot] = ((left - slot) << DS) | (rng.int(nFeat) << 8) | rng.int(256);
    };
    for (let t = 0; t < nTrees; t++) { const at = nodes.length; nodes.push(0); place(at, 6); roots.push(4 * at); }
    const nGroups = Math.ceil(nTrees / LANES);
    const leafAt = nodes.length; nodes.push(-1); // padding trees: a leaf
    while (roots.length < nGroups * LANES) roots.push(4 * leafAt);
    const codes = 4 * nodes.length, rootsAt = Math.ceil((codes + nFeat) / 4) * 4, out = rootsAt + 4 * roots.length;
    const pages = Math.ceil((out + 4 * roots.length) / 65536);
    const L: WalkLayout = { codes, roots: rootsAt, out, nGroups, pages, FM, DS };
    const mem = new WebAssembly.Memory({ initial: pages });
    const walk = instantiateWalk(L, mem);
    for (let rep = 0; rep < 5; rep++) {
      const i32 = new Int32Array(mem.buffer), u8 = new Uint8Array(mem.buffer);
      i32.set(nodes, 0);
      for (let f = 0; f < nFeat; f++) u8[codes + f] = rng.int(256);
      i32.set(roots, rootsAt >> 2);
      const twin = copyOf(mem);
      walk();
      walkTwin(L, twin);
      sameBytes(mem, twin, `walk trees=${nTrees}`);
    }
  }
});

test('float32 dot kernel equals its twin bit for bit (rows 0, 1, many; widths 16 to 80)', () => {
  const rng = new Rng(5);
  for (const rows of [0, 1, 5, 33]) {
    for (const cols of [16, 32, 48, 80]) {
      const Y = Float32Array.from({ length: rows * cols }, () => rng.random() * 2 - 1);
      const x = Float32Array.from({ length: cols }, () => rng.random() * 2 - 1);
      const s = dotScorer(Y, rows, cols);
      assert.ok(s.simd, 'WebAssembly SIMD is available in this Node');
      const want = new Float32Array(rows);
      dotTwin(Y, x, rows, cols, want);
      assert.deepEqual(s.score(x), want, `rows=${rows} cols=${cols}`);
    }
  }
});

test('int8 top-k kernels (approx, blockmax) equal their twins', () => {
  const rng = new Rng(6);
  for (const steps of [1, 2, 5]) {
    const w = steps * 8;
    for (const n of [0, 4, 8, 36]) {
      const mem = new WebAssembly.Memory({ initial: 4 });
      const ex = instantiate<TopK>(topkKernel(steps).compile(), mem);
      const qAt = 0, pAt = 65536, aAt = pAt + 2 * w + 16, outAt = Math.ceil((aAt + 4 * n) / 16) * 16, bmAt = outAt + 4 * TOPK_BLOCK * 4;
      const q = new Int8Array(mem.buffer, qAt, n * w), p = new Int16Array(mem.buffer, pAt, w), a = new Float32Array(mem.buffer, aAt, n);
      for (let i = 0; i < q.length; i++) q[i] = rng.int(255) - 127;
      for (let i = 0; i < w; i++) p[i] = rng.int(2001) - 1000;
      for (let i = 0; i < n; i++) a[i] = rng.random();
      ex.approx(qAt, pAt, aAt, outAt, n);
      const want = new Float32Array(n);
      approxTwin(q, p, a, n, steps, want);
      assert.deepEqual(new Float32Array(mem.buffer, outAt, n), want, `approx steps=${steps} n=${n}`);
      // blockmax over random blocks, -Infinity padding and ties included
      const nb = 1 + rng.int(3), v = new Float32Array(mem.buffer, outAt, nb * TOPK_BLOCK);
      for (let i = 0; i < v.length; i++) v[i] = rng.random() < 0.1 ? -Infinity : Math.fround(rng.int(50) / 7);
      ex.blockmax(outAt, bmAt, nb);
      const bm = new Float32Array(nb);
      blockMaxTwin(v, nb, bm);
      assert.deepEqual(new Float32Array(mem.buffer, bmAt, nb), bm, `blockmax steps=${steps} blocks=${nb}`);
    }
  }
});

test('SPD 4x4 dot kernel equals its twin bit for bit (lengths 0 to 13: odd tails, one vector step)', () => {
  const rng = new Rng(7);
  const memory = spdMemory(1 << 16)!;
  assert.ok(memory, 'WebAssembly SIMD and shared memory are available in this Node');
  const k = spdKernel(memory)!;
  const f64 = new Float64Array(memory.buffer);
  for (const len of [0, 1, 2, 3, 4, 5, 8, 13]) {
    const rs = len + 1 + rng.int(3), a = HEADER_BYTES / 8, b = a + 4 * rs + 2;
    for (let i = a; i < b + 4 * rs; i++) f64[i] = rng.random() * 4 - 2;
    k.dot44(a * 8, b * 8, len, rs * 8, k.out);
    const want = new Float64Array(16);
    dot44Twin(f64, a, f64, b, len, rs, want);
    assert.deepEqual(Float64Array.from(k.sums), want, `len=${len}`);
  }
});

test('k-means++ candidate kernel (seed) equals its twin, the JavaScript seeding pass, bit for bit (odd d and m, no rows, one row)', () => {
  const rng = new Rng(8);
  for (const d of [1, 2, 3, 5]) {
    for (const m of [1, 2, 3, 5]) {
      const n = 37, data = Float64Array.from({ length: n * d }, () => rng.normal() * 3);
      const arena = WasmArena.create(data, n, d, 4, 1, m);
      assert.ok(arena, 'WebAssembly SIMD and shared memory are available in this Node');
      const bufs = arena.seedBuffers();
      assert.ok(bufs && bufs.length === m + 1, `the arena holds k-means++ buffers (d=${d} m=${m})`);
      const [closest, ...outs] = bufs;
      for (let i = 0; i < n; i++) closest![i] = rng.random() < 0.1 ? 0 : rng.random() * 20;
      const cands = Float64Array.from({ length: m * d }, () => rng.normal() * 3);
      for (const [start, end] of [[0, 0], [5, 6], [0, n], [3, n - 1]]) {
        for (const o of outs) o.fill(NaN);
        const res = new Float64Array(1 + m), want = new Float64Array(1 + m);
        wasmSeedBlock(arena.job, 0, start, end, closest!, cands, m, outs, res);
        const twinOuts = outs.map(() => new Float64Array(n).fill(NaN));
        seedingPass(data, d, start, end, Float64Array.from(closest!), null, cands, m, want, twinOuts);
        assert.deepEqual(Array.from(res.subarray(1)), Array.from(want.subarray(1)), `potentials d=${d} m=${m} rows [${start}, ${end})`);
        outs.forEach((o, t) => assert.deepEqual(Array.from(o), Array.from(twinOuts[t]!), `outs[${t}] d=${d} m=${m} rows [${start}, ${end})`));
      }
    }
  }
});

test('k-means assign kernel equals the JavaScript E-step bit for bit on no rows, one row and odd k (labels, sums, counts, inertia)', () => {
  const rng = new Rng(9);
  for (const [d, k] of [[1, 1], [3, 2], [5, 3], [2, 7]] as const) {
    const n = 20, data = Float64Array.from({ length: n * d }, () => rng.normal() * 2);
    const arena = WasmArena.create(data, n, d, k, 1)!;
    assert.ok(arena, 'WebAssembly SIMD and shared memory are available in this Node');
    const C = Float64Array.from({ length: k * d }, () => rng.normal() * 2);
    arena.setCenters(C);
    for (const [start, end] of [[0, 0], [7, 8], [0, n]]) {
      arena.labels.fill(-1);
      const labels = new Int32Array(n).fill(-1), sums = new Float64Array(k * d), counts = new Float64Array(k);
      const res = new Float64Array(k * d + k + 2);
      wasmAssignBlock(arena.job, 0, start, end, res);
      const js = assignRange(data, d, start, end, C, k, labels, sums, counts);
      const at = `d=${d} k=${k} rows [${start}, ${end})`;
      assert.deepEqual(Array.from(arena.labels), Array.from(labels), `labels ${at}`);
      assert.deepEqual(Array.from(res.subarray(0, k * d)), Array.from(sums), `sums ${at}`);
      assert.deepEqual(Array.from(res.subarray(k * d, k * d + k)), Array.from(counts), `counts ${at}`);
      assert.deepEqual([res[k * d + k], res[k * d + k + 1]], [js.inertia, js.changed], `inertia and changed ${at}`);
    }
  }
});
