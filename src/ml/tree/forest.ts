// Training of bagged trees (random forests and single decision trees). Every tree draws its
// bootstrap and feature samples from its own seed (derived from the forest seed and the tree's
// index), so the forest is the same whichever worker thread grows which tree.
import type { FlatTree } from '../core/tree-model.ts';
import { Rng } from '../core/rng.ts';
import type { BinnedData } from './dataset.ts';
import { TreeGrower, type GrowParams, type Targets } from './grower.ts';
import { toFlatTree } from './flat.ts';

export interface ForestJob {
  task: 'regression' | 'classification';
  /** regression: the target; classification: class index 0..nClasses-1 */
  y: Float64Array;
  nClasses: number;
  grow: GrowParams;
  bootstrap: boolean;
  seed: number;
}

export function treeSeed(seed: number, t: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(t + 1, 0x85ebca6b)) >>> 0;
}

/** Grows tree t of a forest; `grower` is reused across trees of one thread. */
export function growForestTree(data: BinnedData, job: ForestJob, t: number, grower: TreeGrower): FlatTree {
  const n = data.n;
  const rng = new Rng(treeSeed(job.seed, t));
  let rows: Int32Array, nRows: number, w: Float64Array | null = null;
  if (job.bootstrap) {
    const counts = new Float64Array(n);
    for (let k = 0; k < n; k++) counts[rng.int(n)]++;
    rows = new Int32Array(n);
    nRows = 0;
    for (let i = 0; i < n; i++) if (counts[i]! > 0) rows[nRows++] = i;
    w = counts;
  } else {
    rows = Int32Array.from({ length: n }, (_, i) => i);
    nRows = n;
  }
  let targets: Targets;
  if (job.task === 'regression') {
    let g = job.y;
    if (w) { g = new Float64Array(n); for (let i = 0; i < n; i++) g[i] = w[i]! * job.y[i]!; }
    targets = { kind: 'scalar', g, h: w };
  } else {
    targets = { kind: 'class', label: Int32Array.from(job.y), w, nClasses: job.nClasses };
  }
  const grown = grower.grow(rows, nRows, targets, job.grow, rng);
  return toFlatTree(grown, data);
}

export function makeGrower(data: BinnedData, job: ForestJob): TreeGrower {
  return job.task === 'regression' ? new TreeGrower(data, 'scalar') : new TreeGrower(data, 'class', job.nClasses);
}
