// Training of bagged trees (random forests and single decision trees). Every tree draws its
// bootstrap and feature samples from its own seed (derived from the forest seed and the tree's
// index), so the forest is the same whichever worker thread grows which tree.
import type { FlatTree } from '../core/tree-model.ts';
import { Rng } from '../core/rng.ts';
import type { BinnedData } from './dataset.ts';
import { TreeGrower, type GrowParams, type Targets } from './grower.ts';
import { toFlatTree } from './flat.ts';
import { groupRows, type RowGroups } from './row-groups.ts';

export interface ForestJob {
  task: 'regression' | 'classification';
  /** regression: the target; classification: class index 0..nClasses-1 */
  y: Float64Array;
  nClasses: number;
  grow: GrowParams;
  bootstrap: boolean;
  seed: number;
  /** grow identical rows as one (row-groups.ts); default true. false: every row on its own (tests) */
  mergeRows?: boolean;
}

export function treeSeed(seed: number, t: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(t + 1, 0x85ebca6b)) >>> 0;
}

/**
 * Grows the trees of one forest on one thread. Its scratch (bootstrap counts, rows, weighted
 * targets, the grower's) serves every tree: a forest of small trees (a backtest fold's) would
 * otherwise spend more time allocating, and collecting, small arrays than growing trees.
 * Identical rows are grown as one weighted row when there are enough of them (row-groups.ts).
 */
export class ForestTreeMaker {
  private readonly grower: TreeGrower;
  private readonly counts: Float64Array;
  private readonly rows: Int32Array;
  private readonly g: Float64Array | null;
  private readonly label: Int32Array | null;
  private readonly groups: RowGroups | null;
  /** merged rows: per group, the summed bootstrap weight */
  private readonly w: Float64Array | null;

  constructor(readonly data: BinnedData, readonly job: ForestJob) {
    const n = data.n;
    const label = job.task === 'classification' ? Int32Array.from(job.y) : null;
    this.groups = job.grow.minSamplesLeaf === 1 && job.mergeRows !== false ? groupRows(data, label) : null;
    const rowData = this.groups ? this.groups.data : data, m = rowData.n;
    this.grower = job.task === 'regression' ? new TreeGrower(rowData, 'scalar') : new TreeGrower(rowData, 'class', job.nClasses);
    this.counts = new Float64Array(n);
    this.rows = new Int32Array(m);
    this.g = job.task === 'regression' && (job.bootstrap || this.groups) ? new Float64Array(m) : null;
    this.label = this.groups ? this.groups.label : label;
    this.w = this.groups ? new Float64Array(m) : null;
  }

  /** Tree t of the forest. */
  tree(t: number): FlatTree {
    const { data, job, rows, counts } = this, n = data.n;
    const rng = new Rng(treeSeed(job.seed, t));
    let nRows: number, w: Float64Array | null = null;
    if (job.bootstrap) {
      counts.fill(0);
      for (let k = 0; k < n; k++) counts[rng.int(n)]++;
      w = counts;
    }
    let g: Float64Array = job.y;
    if (this.groups) {
      // per group: the members' summed weights, and summed weighted targets
      const { group } = this.groups, gw = this.w!, y = job.y, m = gw.length;
      gw.fill(0);
      if (job.task === 'regression') {
        g = this.g!.fill(0);
        for (let i = 0; i < n; i++) { const c = w ? w[i]! : 1; if (c > 0) { const q = group[i]!; gw[q] += c; g[q] += c * y[i]!; } }
      } else {
        for (let i = 0; i < n; i++) { const c = w ? w[i]! : 1; if (c > 0) gw[group[i]!] += c; }
      }
      nRows = 0;
      for (let q = 0; q < m; q++) if (gw[q]! > 0) rows[nRows++] = q;
      w = gw;
    } else if (w) {
      nRows = 0;
      for (let i = 0; i < n; i++) if (w[i]! > 0) rows[nRows++] = i;
      if (job.task === 'regression') { g = this.g!; for (let i = 0; i < n; i++) g[i] = w[i]! * job.y[i]!; }
    } else {
      for (let i = 0; i < n; i++) rows[i] = i;
      nRows = n;
    }
    const targets: Targets = job.task === 'regression'
      ? { kind: 'scalar', g, h: w }
      : { kind: 'class', label: this.label!, w, nClasses: job.nClasses };
    const grown = this.grower.grow(rows, nRows, targets, job.grow, rng);
    return toFlatTree(grown, data);
  }
}
