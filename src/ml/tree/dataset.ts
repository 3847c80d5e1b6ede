// The binned training matrix the tree growers read. Binary columns that are never 1 on the same
// row (the one-hot blocks of a categorical) are bundled into one byte column holding "which
// member is set", as LightGBM's exclusive feature bundling does without conflicts: a row then
// costs one histogram update per bundle instead of one per one-hot column, and nothing is lost.
import type { Matrix } from '../core/matrix.ts';
import { binMatrix, fitBinEdges, type BinEdges } from './binning.ts';

export interface BinnedData {
  n: number;
  nFeatures: number;
  nCols: number;
  /** n x nCols row-major: a numeric column holds the bin; a bundle holds k (member k-1 is 1) or 0 */
  bins: Uint8Array;
  /** histogram slot offset of each column; colOffset[nCols] = total slots */
  colOffset: Int32Array;
  /** bundle columns: index of their first member in `members`, else -1 */
  colMemberStart: Int32Array;
  /** bundle columns: number of members, else 0 */
  colMemberCount: Int32Array;
  members: Int32Array;
  /** feature -> column */
  featCol: Int32Array;
  /** feature -> k (1-based code inside its bundle), or 0 when the column is the feature itself */
  featCode: Int32Array;
  /** per feature bin upper edges (thresholds) */
  edges: Float64Array[];
}

const MAX_BUNDLE = 255;

/**
 * The last matrix binned: several tree models fitted on the same rows (a model comparison, a
 * backtest fold's forest and boosting) then bin them once. Its data is held weakly, with a
 * checksum of its values, so a matrix changed in place since is binned again.
 */
let recent: { data: WeakRef<Float64Array>; rows: number; cols: number; key: string; sum: number; binned: BinnedData } | null = null;

export function buildBinnedData(X: Matrix, opts: { maxBins?: number; seed?: number; shared?: boolean } = {}): BinnedData {
  const maxBins = opts.maxBins ?? 256, seed = opts.seed ?? 0, shared = opts.shared ?? false;
  const key = `${maxBins} ${seed} ${shared}`;
  const r = recent;
  if (r && r.data.deref() === X.data && r.rows === X.rows && r.cols === X.cols && r.key === key && r.sum === checksum(X.data)) return r.binned;
  const be = fitBinEdges(X, maxBins, seed);
  const raw = binMatrix(X, be);
  const binned = bundle(raw, X.rows, X.cols, be, shared);
  recent = { data: new WeakRef(X.data), rows: X.rows, cols: X.cols, key, sum: checksum(X.data), binned };
  return binned;
}

/** 2 x 32 bits of FNV-1a over the values' words: any single changed word changes both. */
function checksum(a: Float64Array): number {
  const u = new Int32Array(a.buffer, a.byteOffset, 2 * a.length);
  let h1 = 0x811c9dc5 ^ a.length, h2 = 0x9e3779b9;
  for (let i = 0; i < u.length; i++) { const w = u[i]!; h1 = Math.imul(h1 ^ w, 0x01000193); h2 = Math.imul(h2 ^ w, 0x5bd1e995); }
  return (h1 >>> 0) * 4294967296 + (h2 >>> 0);
}

function bundle(raw: Uint8Array, n: number, d: number, be: BinEdges, shared: boolean): BinnedData {
  // greedy: each binary feature joins the first bundle it has no row in common with
  const groups: number[][] = [];
  const occupied: Uint8Array[] = [];
  const plain: number[] = [];
  // every binary feature's "1" rows, ascending, gathered in one pass over the rows (a column walk
  // of the row-major bytes would touch a cache line per cell)
  const binary: number[] = [];
  for (let f = 0; f < d; f++) if (be.edges[f]!.length === 1) binary.push(f);
  const start = new Int32Array(d + 1);
  for (let i = 0; i < n; i++) for (const f of binary) start[f + 1] += raw[i * d + f]!;
  for (let f = 0; f < d; f++) start[f + 1] += start[f]!;
  const allOnes = new Int32Array(start[d]!), fillAt = start.slice(0, d);
  for (let i = 0; i < n; i++) for (const f of binary) if (raw[i * d + f] === 1) allOnes[fillAt[f]!++] = i;
  for (let f = 0; f < d; f++) {
    if (be.edges[f]!.length !== 1) { plain.push(f); continue; }
    const ones = allOnes.subarray(start[f]!, start[f + 1]!), cnt = ones.length;
    let placed = false;
    for (let g = 0; g < groups.length && g < 16 && !placed; g++) {
      if (groups[g]!.length >= MAX_BUNDLE) continue;
      const occ = occupied[g]!;
      let clash = false;
      for (let k = 0; k < cnt; k++) if (occ[ones[k]!]) { clash = true; break; }
      if (clash) continue;
      for (let k = 0; k < cnt; k++) occ[ones[k]!] = 1;
      groups[g]!.push(f);
      placed = true;
    }
    if (!placed) {
      const occ = new Uint8Array(n);
      for (let k = 0; k < cnt; k++) occ[ones[k]!] = 1;
      groups.push([f]);
      occupied.push(occ);
    }
  }
  const nCols = plain.length + groups.length;
  const colOffset = new Int32Array(nCols + 1);
  const colMemberStart = new Int32Array(nCols).fill(-1);
  const colMemberCount = new Int32Array(nCols);
  const members: number[] = [];
  const featCol = new Int32Array(d);
  const featCode = new Int32Array(d);
  let c = 0;
  for (const f of plain) {
    featCol[f] = c;
    colOffset[c + 1] = colOffset[c]! + be.edges[f]!.length + 1;
    c++;
  }
  for (const g of groups) {
    colMemberStart[c] = members.length;
    colMemberCount[c] = g.length;
    g.forEach((f, k) => { featCol[f] = c; featCode[f] = k + 1; members.push(f); });
    colOffset[c + 1] = colOffset[c]! + g.length + 1;
    c++;
  }
  const bins = shared ? new Uint8Array(new SharedArrayBuffer(n * nCols)) : new Uint8Array(n * nCols);
  for (let i = 0; i < n; i++) {
    const ri = i * d, bi = i * nCols;
    for (let f = 0; f < d; f++) {
      const col = featCol[f]!, code = featCode[f]!;
      if (code === 0) bins[bi + col] = raw[ri + f]!;
      else if (raw[ri + f] === 1) bins[bi + col] = code;
    }
  }
  return {
    n, nFeatures: d, nCols, bins, colOffset, colMemberStart, colMemberCount,
    members: Int32Array.from(members), featCol, featCode, edges: be.edges,
  };
}

/** The bin of feature f on row i, recovered from the bundled layout. */
export function featureBin(data: BinnedData, i: number, f: number): number {
  const v = data.bins[i * data.nCols + data.featCol[f]!]!;
  const code = data.featCode[f]!;
  return code === 0 ? v : v === code ? 1 : 0;
}
