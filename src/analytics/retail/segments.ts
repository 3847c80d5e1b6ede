// Customer segmentation: log-scaled, standardised RFM plus the category mix; KMeans with k
// chosen by silhouette over a range (inertia kept for the elbow chart); DBSCAN with eps at the
// knee of the k-distance curve; profiles with readable names; PCA 2-D/3-D and t-SNE 2-D
// projections; and a matcher (segment + most similar customers) for a customer or a new profile.
import { DBSCAN, DistanceMatrix, KMeans, kDistance } from '../../ml/cluster/index.ts';
import type { Matrix } from '../../ml/core/matrix.ts';
import { PCA, TSNE, type TSNEParams } from '../../ml/decomposition/index.ts';
import { defaultThreads } from '../../util/workers.ts';
import { StandardScaler } from '../../ml/preprocessing/index.ts';
import type { RfmTable } from './features.ts';
import type { OnnxInput, OnnxModelSpec } from '../../ml/core/onnx-spec.ts';
import type { SegmentTask } from './segment-tasks.ts';
import { SilhouetteScorer } from '../../ml/cluster/silhouette-scorer.ts';

export interface KChoice { k: number; inertia: number; silhouette: number }

export interface SegmentProfile {
  segment: number;
  name: string;
  size: number;
  share: number;
  mean_recency: number;
  mean_frequency: number;
  mean_monetary: number;
  revenue_share: number;
  top_category: string | null;
}

export interface SegmentationOptions {
  kRange?: [number, number];
  /** KMeans restarts per k (default 5) */
  nInit?: number;
  seed?: number;
  /** weight of the category-mix shares beside the standardised RFM (0 = RFM only) */
  mixWeight?: number;
  /** rows embedded by t-SNE (exact t-SNE is O(n^2)) */
  tsneSamples?: number;
  tsneIter?: number;
  /** awaited after the t-SNE has started and before the (synchronous) k scan: lets pending warehouse queries of concurrent work finish first */
  gate?: Promise<unknown>;
  /** the side thread the t-SNE runs on (default: a thread of its own) */
  aside?: SegmentAside;
}

export interface SegmentationResult {
  features: string[];
  X: Matrix;
  scan: KChoice[];
  k: number;
  silhouette: number;
  labels: Int32Array;
  profiles: SegmentProfile[];
  dbscan: { eps: number; minSamples: number; clusters: number; noise: number; labels: Int32Array };
  pca2: Matrix;
  pca3: Matrix;
  pca2Explained: number;
  tsne: { indices: Int32Array; embedding: Matrix };
  model: SegmentModel;
}

/** log1p then standardise (population std), as the scikit-learn anchor does. */
export function logStandardise(rfm: Matrix): { Z: Matrix; scaler: StandardScaler } {
  const logged = { rows: rfm.rows, cols: rfm.cols, data: rfm.data.map((v) => Math.log1p(Math.max(0, v))) };
  const scaler = new StandardScaler().fit(logged);
  return { Z: scaler.transform(logged), scaler };
}

function combine(Z: Matrix, mix: Matrix, w: number): Matrix {
  const d = Z.cols + (w > 0 ? mix.cols : 0);
  const out = new Float64Array(Z.rows * d);
  for (let i = 0; i < Z.rows; i++) {
    out.set(Z.data.subarray(i * Z.cols, (i + 1) * Z.cols), i * d);
    if (w > 0) for (let j = 0; j < mix.cols; j++) out[i * d + Z.cols + j] = w * mix.data[i * mix.cols + j]!;
  }
  return { rows: Z.rows, cols: d, data: out };
}

const INERTIA_TOLERANCE = 0.001;
/** the largest segmentation whose pairwise distances are kept (4 n^2 bytes: 144 MB) */
const MATRIX_MAX_ROWS = 6000;
const SEGMENT_RESTARTS = 5;

/**
 * KMeans for every k in the range; the chosen k has the highest silhouette. Each k gets `nInit`
 * independent k-means++ restarts (seeds seed, seed+1, ...); among those within 0.1% of the best
 * inertia, the restart kept is the one with the best silhouette: on log RFM the restarts land in
 * near-equal optima (within 0.02% of inertia) whose silhouettes differ in the third decimal, and
 * silhouette is the criterion the segmentation is chosen by, so it breaks the tie (inertia stays
 * the objective inside each restart, and is what the elbow chart shows).
 */
export function scanK(X: Matrix, opts: { kRange?: [number, number]; nInit?: number; seed?: number; distances?: DistanceMatrix } = {}): {
  scan: KChoice[];
  best: KChoice;
  models: Map<number, KMeans>;
} {
  const [lo, hi] = opts.kRange ?? [3, 8];
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 2 && hi >= lo)) throw new Error(`kRange must be integers 2 <= lo <= hi, got [${lo}, ${hi}]`);
  const nInit = opts.nInit ?? 10, seed = opts.seed ?? 0;
  if (!Number.isInteger(nInit) || nInit < 1) throw new Error(`nInit must be an integer >= 1, got ${nInit}`);
  const scan: KChoice[] = [];
  const models = new Map<number, KMeans>();
  const scorer = new SilhouetteScorer(X, { distances: opts.distances });
  for (let k = lo; k <= Math.min(hi, X.rows - 1); k++) {
    let best: { km: KMeans; s: number } | null = null;
    const seen = new PartitionMap<number>(); // restarts often converge to the same partition: score it once
    const fits = Array.from({ length: nInit }, (_, r) => new KMeans({ nClusters: k, nInit: 1, seed: seed + r }).fit(X));
    const floor = Math.min(...fits.map((f) => f.inertia));
    // only the restarts the objective cannot tell apart (within 0.1% of the best inertia) are
    // candidates; one that converged to a clearly worse optimum is not scored
    for (const km of fits.filter((f) => f.inertia <= floor * (1 + INERTIA_TOLERANCE))) {
      const labels = km.labels;
      let s = seen.get(labels);
      if (s === undefined) { s = scorer.score(labels); seen.set(labels, s); }
      if (!best || s > best.s) best = { km, s };
    }
    models.set(k, best!.km);
    scan.push({ k, inertia: best!.km.inertia, silhouette: best!.s });
  }
  scorer.release();
  if (!scan.length) throw new Error(`segmentation: ${X.rows} customers is too few for k >= ${lo}`);
  const best = scan.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
  return { scan, best, models };
}

/** The pipeline's side thread, which runs the t-SNE (side-worker.ts): closed by its owner. */
/** What the segmentation asks of a side thread (the retail pipeline's lane on the thread pool). */
export interface SegmentAside { run(msg: SegmentTask, label: string): Promise<unknown> }

/** t-SNE on the side thread when one is given (inline without, or when TRIBUTARY_THREADS allows only one). */
async function runTsne(X: Matrix, params: Partial<TSNEParams>, aside?: SegmentAside): Promise<{ indices: Int32Array; embedding: Matrix }> {
  if (!aside || defaultThreads() < 2) { const r = new TSNE(params).fitTransform(X); return { indices: r.indices, embedding: r.embedding }; }
  const m = await aside.run({ task: 'tsne', rows: X.rows, cols: X.cols, data: X.data, params }, 'tsne') as {
    indices: Int32Array;
    data: Float64Array;
    rows: number;
    cols: number;
  };
  return { indices: m.indices, embedding: { rows: m.rows, cols: m.cols, data: m.data } };
}

/**
 * The elbow of the inertia curve: the k farthest above the chord from the first to the last
 * point (both axes normalised), i.e. where adding clusters stops paying. Shown beside the
 * silhouette choice; the segmentation itself is chosen by silhouette.
 */
export function elbowK(scan: KChoice[]): number {
  if (scan.length < 3) return scan[0]?.k ?? 0;
  const y0 = scan[0]!.inertia, y1 = scan[scan.length - 1]!.inertia;
  if (!(y0 > y1)) return scan[0]!.k;
  let best = scan[0]!.k, gap = -Infinity;
  scan.forEach((s, i) => {
    const g = (y0 - s.inertia) / (y0 - y1) - i / (scan.length - 1);
    if (g > gap) { gap = g; best = s.k; }
  });
  return best;
}

/**
 * Values by partition: label vectors that group the rows the same way (whatever the cluster
 * numbers) share an entry. A vector is relabelled by first use, hashed, and compared in full with
 * the vectors of the same hash.
 */
class PartitionMap<V> {
  private readonly buckets = new Map<number, { canon: Int32Array; value: V }[]>();

  get(labels: Int32Array): V | undefined {
    const canon = relabel(labels);
    return this.buckets.get(hashOf(canon))?.find((e) => sameLabels(e.canon, canon))?.value;
  }

  set(labels: Int32Array, value: V): void {
    const canon = relabel(labels), h = hashOf(canon);
    const list = this.buckets.get(h) ?? [];
    const hit = list.find((e) => sameLabels(e.canon, canon));
    if (hit) hit.value = value; else list.push({ canon, value });
    this.buckets.set(h, list);
  }
}

/** labels renumbered by first use (labels are small non-negative integers) */
function relabel(labels: Int32Array): Int32Array {
  const map: number[] = [];
  const out = new Int32Array(labels.length);
  let next = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    let c = map[l];
    if (c === undefined) { c = next++; map[l] = c; }
    out[i] = c;
  }
  return out;
}

/** FNV-1a over the 32-bit values */
function hashOf(a: Int32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a[i]!, 0x01000193);
  return h >>> 0;
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Prototypes in (freshness, value) z-space: freshness = -z(log recency), value = mean of
// z(log frequency) and z(log monetary). Each segment takes the nearest unused prototype.
const PROTOTYPES: { name: string; fresh: number; value: number }[] = [
  { name: 'champions', fresh: 1, value: 1.3 },
  { name: 'loyal customers', fresh: 0.5, value: 0.6 },
  { name: 'at risk', fresh: -0.9, value: 0.5 },
  { name: 'new customers', fresh: 1, value: -0.9 },
  { name: 'hibernating', fresh: -1.1, value: -0.9 },
  { name: 'potential loyalists', fresh: 0.6, value: -0.1 },
  { name: 'need attention', fresh: -0.2, value: 0 },
  { name: 'cannot lose them', fresh: -1.2, value: 1.4 },
  { name: 'about to sleep', fresh: -0.5, value: -0.6 },
  { name: 'promising', fresh: 0.9, value: -0.5 },
];

export function nameSegments(centres: { fresh: number; value: number }[]): string[] {
  const pairs: { s: number; p: number; d: number }[] = [];
  centres.forEach((c, s) => PROTOTYPES.forEach((p, pi) => pairs.push({ s, p: pi, d: (c.fresh - p.fresh) ** 2 + (c.value - p.value) ** 2 })));
  pairs.sort((a, b) => a.d - b.d);
  const names: (string | null)[] = centres.map(() => null);
  const used = new Set<number>();
  for (const { s, p } of pairs) {
    if (names[s] !== null || used.has(p)) continue;
    names[s] = PROTOTYPES[p]!.name; used.add(p);
  }
  return names.map((n, s) => n ?? `segment ${s}`);
}

export async function segmentCustomers(t: RfmTable, opts: SegmentationOptions = {}): Promise<SegmentationResult> {
  const seed = opts.seed ?? 0, w = opts.mixWeight ?? 1;
  const { Z, scaler } = logStandardise(t.rfm);
  const X = combine(Z, t.mix, w);
  const features = ['z_log_recency', 'z_log_frequency', 'z_log_monetary', ...(w > 0 ? t.categories.map((c) => `mix_${c}`) : [])];
  // t-SNE starts first, on its own thread when there is a second core: it is the longest
  // single computation here and needs nothing the scan produces
  const n0 = X.rows, samples = Math.min(opts.tsneSamples ?? 1000, Math.max(10, n0));
  // at learning rate 200, 100 iterations of early exaggeration then 150 plain ones reach a lower
  // KL divergence (0.776 on Online Retail, trustworthiness@10 0.988) than 250 + 100 did (0.810)
  // or 400 at the automatic rate, for 5/8 of the work of the latter
  const tsne = runTsne(X, {
    nComponents: 2, seed, maxSamples: samples, maxIter: opts.tsneIter ?? 250, exaggerationIter: 100, learningRate: 200,
    perplexity: Math.min(30, Math.max(2, Math.floor((Math.min(n0, samples) - 1) / 3))),
  }, opts.aside);
  tsne.catch(() => {}); // awaited below; a failing scan is the error to report
  await opts.gate;
  // 5 restarts per k: on Online Retail they find the same best partitions as 10 for every
  // k but 8 (silhouette 0.2383 vs 0.2388), and the same chosen segmentation, for half the CPU
  // (the log-RFM comparison with scikit-learn keeps its 10, as the anchor's n_init)
  // the pairwise distances serve both the silhouettes and DBSCAN
  const distances = X.rows <= MATRIX_MAX_ROWS ? DistanceMatrix.of(X) : undefined;
  const { scan, best, models } = scanK(X, { kRange: opts.kRange, nInit: opts.nInit ?? SEGMENT_RESTARTS, seed, distances });
  const km = models.get(best.k)!;
  const labels = km.labels;
  const k = best.k, n = X.rows;

  // profiles in original units, names from the centres in z-space
  const size = new Float64Array(k), rec = new Float64Array(k), freq = new Float64Array(k), mon = new Float64Array(k);
  const zr = new Float64Array(k), zv = new Float64Array(k);
  const catRev = new Float64Array(k * t.categories.length);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = labels[i]!;
    size[s]++; rec[s] += t.rfm.data[3 * i]!; freq[s] += t.rfm.data[3 * i + 1]!; mon[s] += t.rfm.data[3 * i + 2]!;
    zr[s] += Z.data[3 * i]!; zv[s] += (Z.data[3 * i + 1]! + Z.data[3 * i + 2]!) / 2;
    total += t.rfm.data[3 * i + 2]!;
    for (let j = 0; j < t.categories.length; j++) catRev[s * t.categories.length + j] += t.mix.data[i * t.categories.length + j]! * t.rfm.data[3 * i + 2]!;
  }
  const names = nameSegments(Array.from(size, (c, s) => ({ fresh: -zr[s]! / c, value: zv[s]! / c })));
  const profiles: SegmentProfile[] = Array.from(size, (c, s) => {
    let top: string | null = null, topV = 0;
    t.categories.forEach((cat, j) => { const v = catRev[s * t.categories.length + j]!; if (v > topV) { topV = v; top = cat; } });
    return {
      segment: s, name: names[s]!, size: c, share: c / n, mean_recency: rec[s]! / c, mean_frequency: freq[s]! / c,
      mean_monetary: mon[s]! / c, revenue_share: total > 0 ? mon[s]! / total : 0, top_category: top,
    };
  });

  // DBSCAN: minSamples = 2 x dimensions (Sander et al.), eps at the k-distance knee
  const minSamples = Math.max(4, 2 * X.cols);
  const kd = kDistance(X, Math.min(minSamples, n), { distances });
  const db = new DBSCAN({ eps: kd.eps, minSamples }).fit(X, { distances });
  distances?.release(); // its memory serves the next matrix (the log-RFM comparison scan's)
  const dbl = db.labels;
  let noise = 0, clusters = 0;
  for (const l of dbl) { if (l < 0) noise++; else clusters = Math.max(clusters, l + 1); }

  const pca3m = new PCA({ nComponents: Math.min(3, X.cols) }).fit(X);
  const pca3 = pca3m.transform(X);
  const pca2 = { rows: n, cols: 2, data: new Float64Array(n * 2) };
  for (let i = 0; i < n; i++) { pca2.data[2 * i] = pca3.data[i * pca3.cols]!; pca2.data[2 * i + 1] = pca3.data[i * pca3.cols + 1]!; }
  const ratio = pca3m.explainedVarianceRatio;
  const ts = await tsne;
  const model = new SegmentModel({
    ids: t.ids, categories: t.categories, mixWeight: w, scaler: scaler.toJSON(), features, X: Array.from(X.data), d: X.cols,
    centers: Array.from(km.centers.data), k, names, labels: Array.from(labels), rfm: Array.from(t.rfm.data),
  });
  return {
    features, X, scan, k, silhouette: best.silhouette, labels, profiles,
    dbscan: { eps: kd.eps, minSamples, clusters, noise, labels: dbl },
    pca2, pca3, pca2Explained: (ratio[0] ?? 0) + (ratio[1] ?? 0), tsne: { indices: ts.indices, embedding: ts.embedding }, model,
  };
}

export interface SegmentModelState {
  ids: string[];
  categories: string[];
  mixWeight: number;
  scaler: unknown;
  features: string[];
  /** the customers' feature rows, row-major (n x d), for similarity search */
  X: number[];
  d: number;
  centers: number[];
  k: number;
  names: string[];
  labels: number[];
  /** raw recency, frequency, monetary per customer (n x 3) */
  rfm: number[];
}

/** A new customer profile: raw RFM and (optionally) category revenue shares. */
export interface CustomerProfile { recency: number; frequency: number; monetary: number; mix?: Record<string, number> }

export interface Match {
  segment: number;
  name: string;
  /** distance to the segment's centre in feature space */
  distance: number;
  similar: { customer_id: string; distance: number; segment: number; name: string }[];
}

/** The fitted segmentation as a servable object: segment of a profile, nearest customers. */
export class SegmentModel {
  readonly kind = 'RetailSegmentModel';
  private readonly Xd: Float64Array;
  private readonly C: Float64Array;
  private readonly scaler: StandardScaler;
  private readonly index: Map<string, number>;

  constructor(readonly state: SegmentModelState) {
    this.Xd = Float64Array.from(state.X);
    this.C = Float64Array.from(state.centers);
    this.scaler = StandardScaler.fromJSON(state.scaler as never);
    this.index = new Map(state.ids.map((id, i) => [id, i]));
  }

  /** The feature row of a profile, built exactly as the training rows were. */
  featurize(p: CustomerProfile): Float64Array {
    for (const f of ['recency', 'frequency', 'monetary'] as const) {
      if (typeof p[f] !== 'number' || !Number.isFinite(p[f]) || p[f] < 0) {
        throw new Error(`profile.${f} must be a finite number >= 0, got ${JSON.stringify(p[f])}`);
      }
    }
    const s = this.state;
    const z = this.scaler.transform({ rows: 1, cols: 3, data: Float64Array.from([p.recency, p.frequency, p.monetary], (v) => Math.log1p(v)) }).data;
    const x = new Float64Array(s.d);
    x.set(z.subarray(0, 3));
    if (s.d > 3) {
      for (const [cat, share] of Object.entries(p.mix ?? {})) {
        const j = s.categories.indexOf(cat);
        if (j < 0) throw new Error(`profile.mix: unknown category "${cat}" (known: ${s.categories.join(', ')})`);
        if (!(share >= 0 && share <= 1)) throw new Error(`profile.mix.${cat} must be a share in [0, 1], got ${share}`);
        x[3 + j] = s.mixWeight * share;
      }
    }
    return x;
  }

  private nearestCentre(x: Float64Array): { segment: number; distance: number } {
    const { k, d } = this.state;
    let best = 0, bd = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) { const e = x[j]! - this.C[c * d + j]!; s += e * e; }
      if (s < bd) { bd = s; best = c; }
    }
    return { segment: best, distance: Math.sqrt(bd) };
  }

  /** Segment and the k most similar known customers (Euclidean in feature space), excluding `exclude`. */
  matchVector(x: Float64Array, k = 5, exclude = -1): Match {
    if (!Number.isInteger(k) || k < 0) throw new Error(`k must be an integer >= 0, got ${k}`);
    const { d, ids, labels, names } = this.state;
    const n = ids.length;
    const dist = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) { const e = x[j]! - this.Xd[i * d + j]!; s += e * e; }
      dist[i] = i === exclude ? Infinity : s;
    }
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[a]! - dist[b]!);
    const c = this.nearestCentre(x);
    const similar = Array.from(order.subarray(0, Math.min(k, n - (exclude >= 0 ? 1 : 0))), (i) => ({
      customer_id: ids[i]!, distance: Math.sqrt(dist[i]!), segment: labels[i]!, name: names[labels[i]!]!,
    }));
    return { segment: c.segment, name: names[c.segment]!, distance: c.distance, similar };
  }

  matchProfile(p: CustomerProfile, k = 5): Match {
    return this.matchVector(this.featurize(p), k);
  }

  /** A known customer's own segment (as fitted) and its k most similar other customers. */
  matchCustomer(customerId: string, k = 5): Match {
    const i = this.index.get(String(customerId));
    if (i === undefined) throw new Error(`customer_id ${JSON.stringify(customerId)} is not in the segmentation (${this.state.ids.length} customers)`);
    const x = this.Xd.subarray(i * this.state.d, (i + 1) * this.state.d);
    const m = this.matchVector(Float64Array.from(x), k, i);
    const seg = this.state.labels[i]!;
    return { ...m, segment: seg, name: this.state.names[seg]! };
  }

  get customers(): number { return this.state.ids.length; }

  /**
   * The ONNX form of matchProfile's segment: recency, frequency and monetary enter as log(1 + x)
   * and are standardised; the category-mix shares (missing = 0) are weighted by mixWeight; the
   * nearest centre is the segment (graph output `prediction`, with `distances` to every centre).
   */
  toOnnxSpec(): OnnxModelSpec {
    const { categories, d, k, mixWeight } = this.state;
    const mixed = d > 3;
    const { offset, scale } = this.scaler.affine();
    const inputs: OnnxInput[] = [
      ...(['recency', 'frequency', 'monetary'] as const).map((name) => ({ name, kind: 'numeric' as const, log1p: true })),
      ...(mixed ? categories.map((c) => ({ name: `mix_${c}`, kind: 'numeric' as const })) : []),
    ];
    const mix = mixed ? categories.length : 0;
    return {
      inputs,
      // RFM is required (the API refuses a row without it); a share not given is 0, as in featurize
      imputeNumeric: [0, 0, 0, ...new Array<number>(mix).fill(0)],
      scale: { offset: [...Array.from(offset), ...new Array<number>(mix).fill(0)], scale: [...Array.from(scale), ...new Array<number>(mix).fill(mixWeight)] },
      model: { type: 'kmeans', centers: { rows: k, cols: d, data: Float64Array.from(this.state.centers) } },
    };
  }

  toJSON(): { kind: string; format: 1; state: SegmentModelState } {
    return { kind: this.kind, format: 1, state: this.state };
  }

  static fromJSON(json: unknown): SegmentModel {
    const j = json as { kind?: string; state?: SegmentModelState };
    if (j?.kind !== 'RetailSegmentModel' || !j.state) throw new Error('not a RetailSegmentModel JSON');
    return new SegmentModel(j.state);
  }
}
