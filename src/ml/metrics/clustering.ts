// Internal clustering quality metrics (no ground truth), as scikit-learn defines them.
// Labels are cluster ids 0..k-1; every distinct label counts as a cluster (pass DBSCAN noise
// through filterNoise() first if it should not).
import { InvalidInputError } from '../core/errors.ts';
import { takeRows, type Matrix } from '../core/matrix.ts';
import { Rng } from '../core/rng.ts';

function relabel(name: string, X: Matrix, labels: ArrayLike<number>): { lab: Int32Array; k: number } {
  if (labels.length !== X.rows) throw new InvalidInputError(`${name}: labels has ${labels.length} values but X has ${X.rows} rows`);
  const map = new Map<number, number>();
  const lab = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    let m = map.get(l);
    if (m === undefined) { m = map.size; map.set(l, m); }
    lab[i] = m;
  }
  const k = map.size;
  if (k < 2 || k >= X.rows) throw new InvalidInputError(`${name}: needs 2 <= number of clusters (${k}) <= n - 1 (${X.rows - 1})`);
  return { lab, k };
}

function centroids(X: Matrix, lab: Int32Array, k: number): { c: Float64Array; counts: Float64Array } {
  const d = X.cols;
  const c = new Float64Array(k * d), counts = new Float64Array(k);
  for (let i = 0; i < X.rows; i++) {
    const l = lab[i]!; counts[l]++;
    for (let j = 0; j < d; j++) c[l * d + j] += X.data[i * d + j]!;
  }
  for (let l = 0; l < k; l++) for (let j = 0; j < d; j++) c[l * d + j] /= counts[l]!;
  return { c, counts };
}

/** Rows and labels without the noise label (-1 by default). */
export function filterNoise(X: Matrix, labels: ArrayLike<number>, noise = -1): { X: Matrix; labels: Int32Array } {
  const keep: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] !== noise) keep.push(i);
  return { X: takeRows(X, keep), labels: Int32Array.from(keep, (i) => labels[i]!) };
}

/**
 * Mean silhouette coefficient. Exact (O(n^2)) when n <= sampleSize; otherwise computed on a
 * seeded random sample of sampleSize rows, as sklearn's silhouette_score(sample_size=...) does.
 */
export function silhouette(X: Matrix, labels: ArrayLike<number>, opts: { sampleSize?: number; seed?: number } = {}): number {
  const sampleSize = opts.sampleSize ?? 5000;
  if (labels.length !== X.rows) throw new InvalidInputError(`silhouette: labels has ${labels.length} values but X has ${X.rows} rows`);
  if (X.rows > sampleSize) {
    const idx = new Int32Array(X.rows).map((_, i) => i);
    new Rng(opts.seed ?? 0).shuffle(idx);
    const pick = idx.subarray(0, sampleSize);
    return silhouette(takeRows(X, pick), Array.from(pick, (i) => labels[i]!), { sampleSize });
  }
  const { lab, k } = relabel('silhouette', X, labels);
  const n = X.rows, d = X.cols, data = X.data;
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) counts[lab[i]!]++;
  const sums = new Float64Array(n * k); // sum of distances from row i to each cluster
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) { const e = data[i * d + t]! - data[j * d + t]!; s += e * e; }
      const dist = Math.sqrt(s);
      sums[i * k + lab[j]!] += dist;
      sums[j * k + lab[i]!] += dist;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = lab[i]!;
    if (counts[own]! <= 1) continue; // silhouette of a singleton is 0
    const a = sums[i * k + own]! / (counts[own]! - 1);
    let b = Infinity;
    for (let l = 0; l < k; l++) if (l !== own) b = Math.min(b, sums[i * k + l]! / counts[l]!);
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

/** Davies-Bouldin index: mean over clusters of the worst (s_i + s_j) / d(c_i, c_j). Lower is better. */
export function daviesBouldin(X: Matrix, labels: ArrayLike<number>): number {
  const { lab, k } = relabel('daviesBouldin', X, labels);
  const d = X.cols;
  const { c, counts } = centroids(X, lab, k);
  const scatter = new Float64Array(k);
  for (let i = 0; i < X.rows; i++) {
    const l = lab[i]!;
    let s = 0;
    for (let j = 0; j < d; j++) { const e = X.data[i * d + j]! - c[l * d + j]!; s += e * e; }
    scatter[l] += Math.sqrt(s);
  }
  for (let l = 0; l < k; l++) scatter[l] /= counts[l]!;
  let total = 0;
  for (let a = 0; a < k; a++) {
    let worst = 0;
    for (let b = 0; b < k; b++) {
      if (a === b) continue;
      let s = 0;
      for (let j = 0; j < d; j++) { const e = c[a * d + j]! - c[b * d + j]!; s += e * e; }
      const dist = Math.sqrt(s);
      const r = dist === 0 ? Infinity : (scatter[a]! + scatter[b]!) / dist;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  return total / k;
}

/** Calinski-Harabasz: (between-cluster dispersion / (k-1)) / (within-cluster dispersion / (n-k)). Higher is better. */
export function calinskiHarabasz(X: Matrix, labels: ArrayLike<number>): number {
  const { lab, k } = relabel('calinskiHarabasz', X, labels);
  const n = X.rows, d = X.cols;
  const { c, counts } = centroids(X, lab, k);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j]! / n;
  let between = 0, within = 0;
  for (let l = 0; l < k; l++) for (let j = 0; j < d; j++) { const e = c[l * d + j]! - mean[j]!; between += counts[l]! * e * e; }
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) { const e = X.data[i * d + j]! - c[lab[i]! * d + j]!; within += e * e; }
  return within === 0 ? 1 : (between * (n - k)) / (within * (k - 1));
}
