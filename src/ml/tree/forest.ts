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

/**
 * Grows the trees of one forest on one thread. Its scratch (bootstrap counts, rows, weighted
 * targets, the grower's) serves every tree: a forest of small trees (a backtest fold's) would
 * otherwise spend more time allocating, and collecting, small arrays than growing trees.
 */
export class ForestTreeMaker {
  private readonly grower: TreeGrower;
  private readonly counts: Float64Array;
  private readonly rows: Int32Array;
  private readonly g: Float64Array | null;
  private readonly label: Int32Array | null;

  constructor(readonly data: BinnedData, readonly job: ForestJob) {
    const n = data.n;
    this.grower = job.task === 'regression' ? new TreeGrower(data, 'scalar') : new TreeGrower(data, 'class', job.nClasses);
    this.counts = new Float64Array(n);
    this.rows = new Int32Array(n);
    this.g = job.task === 'regression' && job.bootstrap ? new Float64Array(n) : null;
    this.label = job.task === 'classification' ? Int32Array.from(job.y) : null;
  }

  /** Tree t of the forest. */
  tree(t: number): FlatTree {
    const { data, job, rows, counts } = this, n = data.n;
    const rng = new Rng(treeSeed(job.seed, t));
    let nRows: number, w: Float64Array | null = null;
    if (job.bootstrap) {
      counts.fill(0);
      for (let k = 0; k < n; k++) counts[rng.int(n)]++;
      nRows = 0;
      for (let i = 0; i < n; i++) if (counts[i]! > 0) rows[nRows++] = i;
      w = counts;
    } else {
      for (let i = 0; i < n; i++) rows[i] = i;
      nRows = n;
    }
    let targets: Targets;
    if (job.task === 'regression') {
      let g = job.y;
      if (w) { g = this.g!; for (let i = 0; i < n; i++) g[i] = w[i]! * job.y[i]!; }
      targets = { kind: 'scalar', g, h: w };
    } else {
      targets = { kind: 'class', label: this.label!, w, nClasses: job.nClasses };
    }
    const grown = this.grower.grow(rows, nRows, targets, job.grow, rng);
    return toFlatTree(grown, data);
  }
}
