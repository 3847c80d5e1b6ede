// From grown (bin-space) trees to the shared FlatTree form with real thresholds, and the
// typed-array (base64) JSON form of FlatTree / TreeEnsemble that round-trips bit for bit.
import type { FlatTree, TreeEnsemble } from '../core/tree-model.ts';
import type { BinnedData } from './dataset.ts';
import type { GrownTree } from './grower.ts';

/**
 * Real-valued thresholds: "bin <= b" is "x <= edges[b]" by construction of the bins. The five
 * arrays are views of one buffer: a backing store each would make a forest of small trees
 * mostly allocation and garbage collection.
 */
export function toFlatTree(g: GrownTree, data: BinnedData, scale = 1): FlatTree {
  const n = g.nNodes, K = g.nOutputs;
  const buf = new ArrayBuffer(n * (8 + 8 * K + 12));
  const threshold = new Float64Array(buf, 0, n), value = new Float64Array(buf, 8 * n, n * K);
  const feature = new Int32Array(buf, 8 * n * (1 + K), n);
  const left = new Int32Array(buf, 8 * n * (1 + K) + 4 * n, n), right = new Int32Array(buf, 8 * n * (1 + K) + 8 * n, n);
  for (let i = 0; i < n; i++) {
    const f = g.feature[i]!;
    feature[i] = f; left[i] = g.left[i]!; right[i] = g.right[i]!;
    if (f >= 0) threshold[i] = data.edges[f]![g.bin[i]!]!;
    else for (let k = 0; k < K; k++) value[i * K + k] = g.value[i * K + k]! * scale;
  }
  return { feature, threshold, left, right, value, nOutputs: K };
}

/** Widens a single-output tree to nOutputs, its values going to output k (multiclass boosting). */
export function widenTree(t: FlatTree, nOutputs: number, k: number): FlatTree {
  const n = t.feature.length;
  const value = new Float64Array(n * nOutputs);
  for (let i = 0; i < n; i++) value[i * nOutputs + k] = t.value[i]!;
  return { ...t, value, nOutputs };
}

export function b64(a: Int32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function unb64<T extends Int32Array | Float64Array>(s: string, C: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const buf = Buffer.from(s, 'base64');
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  return new C(ab);
}

export interface FlatTreeJSON { feature: string; threshold: string; left: string; right: string; value: string; nOutputs: number }
export interface TreeEnsembleJSON {
  trees: FlatTreeJSON[]; aggregate: TreeEnsemble['aggregate']; base: number[]; postTransform: TreeEnsemble['postTransform']; nFeatures: number;
}

export function treeToJSON(t: FlatTree): FlatTreeJSON {
  return { feature: b64(t.feature), threshold: b64(t.threshold), left: b64(t.left), right: b64(t.right), value: b64(t.value), nOutputs: t.nOutputs };
}

export function treeFromJSON(j: FlatTreeJSON): FlatTree {
  return {
    feature: unb64(j.feature, Int32Array), threshold: unb64(j.threshold, Float64Array),
    left: unb64(j.left, Int32Array), right: unb64(j.right, Int32Array), value: unb64(j.value, Float64Array), nOutputs: j.nOutputs,
  };
}

export function ensembleToJSON(e: TreeEnsemble): TreeEnsembleJSON {
  return { trees: e.trees.map(treeToJSON), aggregate: e.aggregate, base: e.base.slice(), postTransform: e.postTransform, nFeatures: e.nFeatures };
}

export function ensembleFromJSON(j: TreeEnsembleJSON): TreeEnsemble {
  return { trees: j.trees.map(treeFromJSON), aggregate: j.aggregate, base: j.base.slice(), postTransform: j.postTransform, nFeatures: j.nFeatures };
}
