import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KMeans, MiniBatchKMeans, DBSCAN, kDistance, KdTree } from '../../src/ml/cluster/index.ts';
import { lloyd } from '../../src/ml/cluster/kmeans.ts';
import { lloydPool, warmLloydPool, toShared } from '../../src/ml/cluster/lloyd-pool.ts';
import { kmeansPlusPlus } from '../../src/ml/cluster/kernels.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { fromRows, row, type Matrix } from '../../src/ml/core/matrix.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../src/ml/core/errors.ts';
import { blobs, gaussian } from './helpers.ts';

const CENTRES = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10], [10, 10, 10]];

function matchCentres(found: Matrix, truth: number[][]): number {
  // worst distance from a true centre to its nearest found centre
  let worst = 0;
  for (const t of truth) {
    let best = Infinity;
    for (let c = 0; c < found.rows; c++) best = Math.min(best, Math.hypot(...Array.from(row(found, c), (v, j) => v - t[j]!)));
    worst = Math.max(worst, best);
  }
  return worst;
}

test('KMeans recovers well-separated blob centres (lloyd and elkan agree)', () => {
  const { X, y } = blobs(CENTRES, 200, 0.5, 1);
  const lloydM = new KMeans({ nClusters: 5, seed: 3, nInit: 3 }).fit(X);
  assert.ok(matchCentres(lloydM.centers, CENTRES) < 0.15, `centres off by ${matchCentres(lloydM.centers, CENTRES)}`);
  // labels are a relabelling of the truth
  const map = new Map<number, number>();
  const labels = lloydM.labels;
  for (let i = 0; i < X.rows; i++) {
    const m = map.get(y[i]!);
    if (m === undefined) map.set(y[i]!, labels[i]!); else assert.equal(labels[i], m);
  }
  assert.equal(new Set(map.values()).size, 5);
  const elkanM = new KMeans({ nClusters: 5, seed: 3, nInit: 3, algorithm: 'elkan' }).fit(X);
  assert.ok(Math.abs(elkanM.inertia - lloydM.inertia) / lloydM.inertia < 1e-9);
  // inertia is the sum of squared distances to the assigned centres
  const c = lloydM.centers;
  let inertia = 0;
  for (let i = 0; i < X.rows; i++) for (let j = 0; j < 3; j++) inertia += (X.data[i * 3 + j]! - c.data[labels[i]! * 3 + j]!) ** 2;
  assert.ok(Math.abs(inertia - lloydM.inertia) / inertia < 1e-9);
  assert.deepEqual(Array.from(lloydM.predict(X)), Array.from(labels));
});

test('KMeans is deterministic for a seed; toJSON round trip predicts identically', () => {
  const X = gaussian(2000, 4, 5);
  const a = new KMeans({ nClusters: 6, seed: 7 }).fit(X), b = new KMeans({ nClusters: 6, seed: 7 }).fit(X);
  assert.deepEqual(Array.from(a.centers.data), Array.from(b.centers.data));
  const back = KMeans.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.deepEqual(Array.from(back.predict(X)), Array.from(a.predict(X)));
  assert.deepEqual(back.toJSON(), a.toJSON());
  const spec = a.toOnnxSpec();
  assert.equal(spec.model.type, 'kmeans');
  assert.equal(spec.inputs.length, 4);
});

test('Hamerly-pruned Lloyd gives the same labels and centres as plain Lloyd', () => {
  const { X } = blobs(CENTRES, 300, 2.5, 9);
  const init = kmeansPlusPlus(X.data, X.rows, 3, 5, new Rng(1));
  const plain = lloyd(X.data, X.rows, 3, 5, init, 50, 0, 1, false);
  const pruned = lloyd(X.data, X.rows, 3, 5, init, 50, 0, 1, true);
  assert.deepEqual(Array.from(pruned.labels), Array.from(plain.labels));
  assert.equal(pruned.nIter, plain.nIter);
  for (let t = 0; t < plain.centers.length; t++) assert.ok(Math.abs(pruned.centers[t]! - plain.centers[t]!) < 1e-9);
  assert.ok(pruned.scanned.slice(1).every((s) => s < X.rows));
});

test('Lloyd on worker threads equals the single-thread result exactly', async () => {
  const X = gaussian(70000, 4, 8);
  const ready = await warmLloydPool(2);
  assert.ok(ready, 'worker pool did not start');
  assert.ok(lloydPool(2), 'a pool thread is idle with the k-means module loaded');
  const init = X.data.slice(0, 6 * 4);
  const one = lloyd(X.data, X.rows, 4, 6, init, 8, 0, 1);
  const two = lloyd(toShared(X.data), X.rows, 4, 6, init, 8, 0, 2);
  assert.deepEqual(Array.from(two.centers), Array.from(one.centers));
  assert.equal(two.inertia, one.inertia);
  const km1 = new KMeans({ nClusters: 6, maxIter: 5, tol: 0, threads: 1 }).fit(X);
  const km2 = await new KMeans({ nClusters: 6, maxIter: 5, tol: 0, threads: 2 }).fitAsync(X);
  assert.deepEqual(Array.from(km2.centers.data), Array.from(km1.centers.data));
});

test('MiniBatchKMeans finds the blob centres', () => {
  const { X } = blobs(CENTRES, 2000, 0.5, 2);
  const m = new MiniBatchKMeans({ nClusters: 5, batchSize: 256, maxIter: 5, seed: 1 }).fit(X);
  assert.ok(matchCentres(m.centers, CENTRES) < 0.3, `centres off by ${matchCentres(m.centers, CENTRES)}`);
  const back = MiniBatchKMeans.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  assert.deepEqual(Array.from(back.predict(X)), Array.from(m.predict(X)));
});

test('KMeans bad input', () => {
  assert.throws(() => new KMeans().predict(fromRows([[1]])), NotFittedError);
  assert.throws(() => new KMeans({ nClusters: 0 }), InvalidParameterError);
  assert.throws(() => new KMeans({ algorithm: 'full' as any }), InvalidParameterError);
  assert.throws(() => new KMeans({ k: 3 } as any), /unknown parameter "k"/);
  assert.throws(() => new KMeans({ nClusters: 5 }).fit(fromRows([[1], [2]])), InvalidInputError);
  assert.throws(() => new KMeans({ nClusters: 1 }).fit(fromRows([[1], [NaN]])), /X\[1\]\[0\] is NaN/);
  const m = new KMeans({ nClusters: 2 }).fit(fromRows([[0, 0], [0, 1], [9, 9], [9, 8]]));
  assert.throws(() => m.predict(fromRows([[1, 2, 3]])), /3 columns/);
});

function moons(n: number, noise: number, seed: number): { X: Matrix; y: Int32Array } {
  const r = new Rng(seed);
  const data = new Float64Array(n * 2), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const upper = i < n / 2, t = Math.PI * r.random();
    const x = upper ? Math.cos(t) : 1 - Math.cos(t), yy = upper ? Math.sin(t) : 0.5 - Math.sin(t);
    data[2 * i] = x + noise * r.normal(); data[2 * i + 1] = yy + noise * r.normal(); y[i] = upper ? 0 : 1;
  }
  return { X: { rows: n, cols: 2, data }, y };
}

test('DBSCAN separates two moons and flags outliers as noise', () => {
  const { X: m, y } = moons(600, 0.05, 4);
  // three far outliers appended
  const data = new Float64Array((600 + 3) * 2);
  data.set(m.data);
  data.set([5, 5, -5, 5, 3, -4], 1200);
  const X = { rows: 603, cols: 2, data };
  const db = new DBSCAN({ eps: 0.2, minSamples: 5 }).fit(X);
  const labels = db.labels;
  assert.equal(db.nClusters, 2);
  assert.deepEqual([labels[600], labels[601], labels[602]], [-1, -1, -1]);
  // each moon maps to one cluster (allowing a few noise points on the sparse ends)
  for (const moon of [0, 1]) {
    const counts = new Map<number, number>();
    for (let i = 0; i < 600; i++) if (y[i] === moon && labels[i]! >= 0) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
    assert.equal(counts.size, 1, `moon ${moon} split into ${counts.size} clusters`);
    assert.ok([...counts.values()][0]! >= 290);
  }
  // KMeans cannot do this: it cuts the moons with a line
  const km = new KMeans({ nClusters: 2, seed: 0 }).fit(m).labels;
  let agree = 0;
  for (let i = 0; i < 600; i++) if (km[i] === y[i]) agree++;
  assert.ok(Math.max(agree, 600 - agree) < 595);
  const back = DBSCAN.fromJSON(JSON.parse(JSON.stringify(db.toJSON())));
  assert.deepEqual(Array.from(back.labels), Array.from(labels));
});

test('DBSCAN core/border/noise on a hand-made line', () => {
  // points at 0, 1, 2, 3 (eps 1.1, minSamples 3): 1 and 2 are core; 0 and 3 border; 10 noise
  const X = fromRows([[0], [1], [2], [3], [10]]);
  const db = new DBSCAN({ eps: 1.1, minSamples: 3 }).fit(X);
  assert.deepEqual(Array.from(db.labels), [0, 0, 0, 0, -1]);
  assert.deepEqual(db.coreSampleIndices, [1, 2]);
});

test('kd-tree radius and kNN queries match brute force; k-distance knee', () => {
  const X = gaussian(500, 3, 6);
  const tree = new KdTree(X);
  const q = [0.1, -0.2, 0.3];
  const brute: number[] = [];
  const d2: number[] = [];
  for (let i = 0; i < 500; i++) {
    const s = (X.data[i * 3]! - q[0]!) ** 2 + (X.data[i * 3 + 1]! - q[1]!) ** 2 + (X.data[i * 3 + 2]! - q[2]!) ** 2;
    d2.push(s);
    if (s <= 0.8 * 0.8) brute.push(i);
  }
  assert.deepEqual(tree.radius(q, 0.8).sort((a, b) => a - b), brute);
  assert.deepEqual(Array.from(tree.knn(q, 7)), d2.sort((a, b) => a - b).slice(0, 7));
  // two blobs over a sparse uniform background: the curve is flat inside the blobs and shoots up
  // for the background points, and the knee sits at that bend
  const { X: b2 } = blobs([[0, 0], [20, 20]], 200, 0.5, 3);
  const r = new Rng(4);
  const data = new Float64Array(440 * 2);
  data.set(b2.data);
  for (let i = 800; i < 880; i++) data[i] = -10 + 40 * r.random();
  const bl = { rows: 440, cols: 2, data };
  const kd = kDistance(bl, 5);
  assert.equal(kd.distances.length, 440);
  assert.ok(kd.eps > 0.1 && kd.eps < 2, `eps ${kd.eps}`);
  const db = new DBSCAN({ eps: kd.eps, minSamples: 5 }).fit(bl);
  assert.equal(db.nClusters, 2);
  assert.ok(db.labels.slice(400).filter((l) => l === -1).length >= 30);
});

test('the WebAssembly SIMD E-step gives bit for bit the JavaScript result (odd k, ties, threads)', async () => {
  const { WasmArena } = await import('../../src/ml/cluster/wasm-assign.ts');
  const base = blobs([[0, 0, 0, 0, 0], [4, 4, 0, 1, 0], [0, 5, 5, 0, 2]], 2000, 2.5, 13).X;
  // duplicated rows and duplicated initial centres make exact distance ties
  const data = new Float64Array(base.data.length * 2);
  data.set(base.data); data.set(base.data, base.data.length);
  const X = { rows: base.rows * 2, cols: base.cols, data };
  assert.ok(WasmArena.create(X.data, X.rows, X.cols, 7, 1), 'WebAssembly SIMD is available in this Node');
  for (const [k, pruning, threads] of [[7, false, 1], [7, true, 1], [16, false, 2], [1, false, 1], [3, true, 2], [5, true, 1], [11, true, 1]] as const) {
    const p = { nClusters: k, seed: 5, maxIter: 30, tol: 0, pruning, threads, parallelMinRows: 1000 };
    const js = await new KMeans({ ...p, simd: false }).fitAsync(X);
    const wa = await new KMeans({ ...p, simd: true }).fitAsync(X);
    assert.deepEqual(Array.from(wa.centers.data), Array.from(js.centers.data), `centres k=${k}`);
    assert.deepEqual(Array.from(wa.labels), Array.from(js.labels), `labels k=${k}`);
    assert.equal(wa.inertia, js.inertia);
    assert.equal(wa.nIter, js.nIter);
  }
  // a tie between two identical centres goes to the lower index, as in the JavaScript kernel
  const C = Float64Array.of(1, 1, 0, 0, 0, 0, 5, 5);
  const pts = Float64Array.of(0, 0, 0.1, 0, 4, 4);
  const a = WasmArena.create(pts, 3, 2, 4, 1)!;
  a.setCenters(C);
  const { wasmAssignBlock } = await import('../../src/ml/cluster/wasm-assign.ts');
  const res = new Float64Array(4 * 2 + 4 + 2);
  wasmAssignBlock(a.job, 0, 0, 3, res);
  assert.deepEqual(Array.from(a.labels), [1, 1, 3]);
});

test('DistanceMatrix: the SIMD kernel fills the JavaScript loop\'s float32 distances; cluster sums and moves', async () => {
  const { DistanceMatrix } = await import('../../src/ml/cluster/pairwise.ts');
  const r = new Rng(3);
  // odd and even row counts, across the 64-row tiles and the four-pair groups
  for (const [n, d] of [[1, 3], [2, 1], [7, 3], [130, 13], [203, 2]] as const) {
    const X = { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => r.random() * 4 - 2) };
    const a = DistanceMatrix.of(X), b = DistanceMatrix.of(X, { wasm: false });
    assert.ok(a.simd && !b.simd);
    assert.deepEqual(a.values, b.values, `n=${n} d=${d}`);
    for (let i = 0; i < n; i++) {
      assert.equal(a.values[i * n + i], 0);
      for (const j of [0, n - 1]) assert.equal(a.values[i * n + j], Math.fround(Math.sqrt(a.sq(i, j))));
    }
    const k = Math.min(4, n);
    const labels = Int32Array.from({ length: n }, () => r.int(k));
    const sa = a.clusterSums(labels, k), sb = b.clusterSums(labels, k);
    assert.deepEqual(sa, sb);
    // brute force: the same distances added in ascending row order
    for (const i of [0, n >> 1, n - 1]) for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < n; j++) if (labels[j] === c) s += a.values[i * n + j]!;
      assert.equal(sa[i * k + c], s);
    }
    // moved rows (several between the same two clusters) leave the sums of the new labeling
    const rows = [...new Set(Array.from({ length: 9 }, (_, t) => Math.floor((t * n) / 9)))];
    const from = rows.map((i) => labels[i]!), to = rows.map((i, t) => (labels[i]! + 1 + (t % 2)) % k);
    a.moveRows(sa, k, rows, from, to); b.moveRows(sb, k, rows, from, to);
    assert.deepEqual(sa, sb, `moved sums n=${n} d=${d}: the kernels (addRows, apply) and the JavaScript loop`);
    const moved = Int32Array.from(labels);
    rows.forEach((i, t) => { moved[i] = to[t]!; });
    const fresh = a.clusterSums(moved, k);
    for (const s of [sa, sb]) for (let t = 0; t < fresh.length; t++) assert.ok(
      Math.abs(s[t]! - fresh[t]!) <= 1e-9 * Math.max(1, fresh[t]!),
      `sum ${t}: ${s[t]} vs ${fresh[t]}`,
    );
  }
  // more clusters than the scratch was first sized for: the memory grows
  const X = { rows: 50, cols: 2, data: Float64Array.from({ length: 100 }, () => r.random()) };
  const dm = DistanceMatrix.of(X);
  const many = Int32Array.from({ length: 50 }, (_, i) => i % 40);
  assert.deepEqual(dm.clusterSums(many, 40), DistanceMatrix.of(X, { wasm: false }).clusterSums(many, 40));
  assert.equal(dm.values.length, 2500);
});

test('DistanceMatrix row scans give the kd-tree\'s k-th neighbour distances, neighbourhoods and DBSCAN labels exactly', async () => {
  const { DistanceMatrix } = await import('../../src/ml/cluster/pairwise.ts');
  const r = new Rng(5);
  for (const [n, d] of [[1, 2], [5, 2], [37, 3], [301, 5], [603, 13]] as const) {
    // values on a 1/8 grid: duplicated rows, tied distances, and radii that equal distances exactly
    const data = Float64Array.from({ length: n * d }, () => Math.round((r.random() * 4 - 2) * 8) / 8);
    const X = { rows: n, cols: d, data };
    const tree = new KdTree(X);
    for (const wasm of [true, false]) {
      const dm = DistanceMatrix.of(X, { wasm });
      for (const k of new Set([1, Math.min(3, n), Math.min(26, n), n])) {
        const kth = dm.kthNearestSq(k);
        for (let i = 0; i < n; i++) assert.equal(kth[i], tree.knn(data.subarray(i * d, i * d + d), k)[k - 1], `n=${n} k=${k} row ${i}`);
      }
      for (const rad of [0.3, 0.5, 1, 2.5]) {
        const cnt = dm.countWithin(rad), near = dm.withinTest(rad);
        for (let i = 0; i < n; i++) {
          const ref = tree.radius(data.subarray(i * d, i * d + d), rad).sort((a, b) => a - b);
          assert.equal(cnt[i], ref.length);
          assert.deepEqual(Array.from({ length: n }, (_, j) => j).filter((j) => near(i, j)), ref);
        }
        const ms = Math.min(5, n);
        assert.deepEqual(new DBSCAN({ eps: rad, minSamples: ms }).fit(X, { distances: dm }).labels, new DBSCAN({ eps: rad, minSamples: ms }).fit(X).labels);
      }
      const k4 = Math.min(4, n);
      assert.deepEqual(kDistance(X, k4, { distances: dm }), kDistance(X, k4));
    }
  }
  // distances that differ in float64 but round to the same float32: the float64 ones decide
  // (far rows after them: enough 16-column blocks for the kernel's block minima)
  const near1 = { rows: 69, cols: 1, data: Float64Array.from({ length: 69 }, (_, i) => [0, 1 + 2e-9, 1, 1 + 1e-9, 3][i] ?? 100 + i) };
  for (const wasm of [true, false]) {
    const dm = DistanceMatrix.of(near1, { wasm });
    assert.equal(dm.values[1], dm.values[2]);
    assert.deepEqual(Array.from(dm.kthNearestSq(2)).slice(0, 1), [1]);
    assert.deepEqual(Array.from(dm.kthNearestSq(3)).slice(0, 1), [(1 + 1e-9) ** 2]);
    assert.deepEqual(Array.from(dm.kthNearestSq(4)).slice(0, 1), [(1 + 2e-9) ** 2]);
    const near = dm.withinTest(1 + 1e-9);
    assert.deepEqual([1, 2, 3].map((j) => near(0, j)), [false, true, true]);
    assert.equal(dm.countWithin(1 + 1e-9)[0], 3);
  }
  const X = gaussian(20, 2, 1);
  const other = DistanceMatrix.of({ ...X });
  assert.throws(() => new DBSCAN({ eps: 1 }).fit(X, { distances: other }), InvalidParameterError);
});

test('the WebAssembly bounded E-step gives bit for bit the JavaScript one (labels, bounds, sums) as centres move', async () => {
  const { WasmArena, wasmBoundedBlock } = await import('../../src/ml/cluster/wasm-assign.ts');
  const { assignRangeBounded, centreGeometry } = await import('../../src/ml/cluster/kernels.ts');
  const r = new Rng(9);
  for (const [n, d, k] of [[700, 5, 7], [301, 13, 8], [64, 1, 2], [50, 3, 1], [400, 3, 5], [300, 2, 11]] as const) {
    const X = blobs(Array.from({ length: 4 }, (_, c) => Array.from({ length: d }, (_, j) => (c + j) % 3)), Math.ceil(n / 4), 1.2, 5).X;
    const data = X.data.subarray(0, n * d);
    const a = WasmArena.create(data, n, d, k, 1)!;
    assert.ok(a.upper, 'the arena holds bounds');
    const labels = new Int32Array(n).fill(-1), upper = new Float64Array(n), lower = new Float64Array(n);
    a.labels.fill(-1);
    let C = Float64Array.from({ length: k * d }, () => r.random() * 2), prev: Float64Array | null = null;
    // two identical centres: exact ties in the best and the second best
    if (k > 3) C.copyWithin(3 * d, 1 * d, 2 * d);
    for (let step = 0; step < 6; step++) {
      const geo = centreGeometry(C, prev, k, d), first = prev === null;
      const sums = new Float64Array(k * d), counts = new Float64Array(k);
      const js = assignRangeBounded(data, d, 0, n, C, k, labels, upper, lower, geo, first, sums, counts);
      a.setCenters(C); a.setGeometry(geo);
      const res = new Float64Array(k * d + k + 2);
      wasmBoundedBlock(a.job, 0, 0, n, first, res);
      assert.deepEqual(Array.from(a.labels), Array.from(labels), `labels n=${n} d=${d} k=${k} step ${step}`);
      assert.deepEqual(Array.from(a.upper!), Array.from(upper));
      assert.deepEqual(Array.from(a.lower!), Array.from(lower));
      assert.deepEqual(Array.from(res.subarray(0, k * d)), Array.from(sums));
      assert.deepEqual(Array.from(res.subarray(k * d, k * d + k)), Array.from(counts));
      assert.deepEqual([res[k * d + k], res[k * d + k + 1]], [js.scanned, js.changed]);
      if (step > 0) assert.ok(js.scanned < n, 'the bounds skip rows');
      // the centres move: a little, and one of them far (its bounds must not settle rows wrongly)
      prev = C;
      C = C.map((v, t) => v + (r.random() - 0.5) * (step === 3 && t < d ? 3 : 0.05));
    }
  }
});
