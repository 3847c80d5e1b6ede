// Index splits for model selection: seeded train/test split, K-fold and time-series split, with
// scikit-learn's fold sizes so results are comparable.
import { InvalidParameterError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';

export interface Split { train: Int32Array; test: Int32Array }

const range = (a: number, b: number) => Int32Array.from({ length: Math.max(b - a, 0) }, (_, i) => a + i);

/**
 * Seeded shuffle then split; testSize is a fraction (0, 1) or a row count. With `stratify`
 * (class labels), each class is split in the same proportion.
 */
export function trainTestSplit(n: number, opts: { testSize?: number; seed?: number; shuffle?: boolean; stratify?: ArrayLike<number | string> } = {}): Split {
  const { testSize = 0.2, seed = 0, shuffle = true } = opts;
  const nTest = testSize < 1 ? Math.ceil(n * testSize) : Math.floor(testSize);
  if (!(testSize > 0) || nTest < 1 || nTest >= n) {
    throw new InvalidParameterError(`trainTestSplit: testSize ${testSize} leaves no train or no test rows out of ${n}`);
  }
  const rng = new Rng(seed);
  if (opts.stratify) {
    if (opts.stratify.length !== n) throw new InvalidParameterError(`trainTestSplit: stratify has ${opts.stratify.length} labels for ${n} rows`);
    const groups = new Map<string, number[]>();
    for (let i = 0; i < n; i++) { const k = String(opts.stratify[i]); (groups.get(k) ?? groups.set(k, []).get(k)!).push(i); }
    const train: number[] = [], test: number[] = [];
    for (const k of [...groups.keys()].sort()) {
      const g = Int32Array.from(groups.get(k)!);
      rng.shuffle(g);
      const t = Math.round((g.length * nTest) / n);
      test.push(...g.subarray(0, t)); train.push(...g.subarray(t));
    }
    return { train: Int32Array.from(train).sort(), test: Int32Array.from(test).sort() };
  }
  const idx = range(0, n);
  if (shuffle) rng.shuffle(idx);
  return { train: idx.slice(nTest), test: idx.slice(0, nTest) };
}

/** K consecutive folds (after an optional seeded shuffle); the first n % k folds get one extra row. */
export class KFold {
  constructor(readonly nSplits = 5, readonly opts: { shuffle?: boolean; seed?: number } = {}) {
    if (!Number.isInteger(nSplits) || nSplits < 2) throw new InvalidParameterError(`KFold: nSplits must be an integer >= 2, got ${nSplits}`);
  }

  split(n: number): Split[] {
    if (n < this.nSplits) throw new InvalidParameterError(`KFold: cannot make ${this.nSplits} folds of ${n} rows`);
    const idx = range(0, n);
    if (this.opts.shuffle) new Rng(this.opts.seed ?? 0).shuffle(idx);
    const out: Split[] = [];
    let start = 0;
    for (let f = 0; f < this.nSplits; f++) {
      const size = Math.floor(n / this.nSplits) + (f < n % this.nSplits ? 1 : 0);
      const test = idx.slice(start, start + size);
      const train = new Int32Array(n - size);
      train.set(idx.subarray(0, start)); train.set(idx.subarray(start + size), start);
      out.push({ train, test });
      start += size;
    }
    return out;
  }
}

/**
 * K folds keeping each class's share: every class's rows (shuffled with the seed when asked) are
 * dealt round-robin over the folds, as scikit-learn's StratifiedKFold keeps per-class counts
 * within one of each other. Test rows come back ascending.
 */
export class StratifiedKFold {
  constructor(readonly nSplits = 5, readonly opts: { shuffle?: boolean; seed?: number } = {}) {
    if (!Number.isInteger(nSplits) || nSplits < 2) throw new InvalidParameterError(`StratifiedKFold: nSplits must be an integer >= 2, got ${nSplits}`);
  }

  split(labels: ArrayLike<string | number>): Split[] {
    const n = labels.length;
    if (n < this.nSplits) throw new InvalidParameterError(`StratifiedKFold: cannot make ${this.nSplits} folds of ${n} rows`);
    const groups = new Map<string, number[]>();
    for (let i = 0; i < n; i++) { const k = String(labels[i]); (groups.get(k) ?? groups.set(k, []).get(k)!).push(i); }
    const rng = new Rng(this.opts.seed ?? 0);
    const fold = new Int32Array(n);
    let offset = 0;
    for (const k of [...groups.keys()].sort()) {
      const g = Int32Array.from(groups.get(k)!);
      if (this.opts.shuffle) rng.shuffle(g);
      // continue the deal where the previous class stopped, so fold sizes stay within one
      g.forEach((row, j) => { fold[row] = (offset + j) % this.nSplits; });
      offset = (offset + g.length) % this.nSplits;
    }
    return Array.from({ length: this.nSplits }, (_, f) => {
      const test: number[] = [], train: number[] = [];
      for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
      return { train: Int32Array.from(train), test: Int32Array.from(test) };
    });
  }
}

/**
 * Expanding-window splits for time-ordered rows: test blocks of testSize rows at the end, each
 * trained on everything before it (minus a gap), as sklearn's TimeSeriesSplit.
 */
export class TimeSeriesSplit {
  constructor(readonly nSplits = 5, readonly opts: { testSize?: number; gap?: number; maxTrainSize?: number } = {}) {
    if (!Number.isInteger(nSplits) || nSplits < 2) throw new InvalidParameterError(`TimeSeriesSplit: nSplits must be an integer >= 2, got ${nSplits}`);
  }

  split(n: number): Split[] {
    const gap = this.opts.gap ?? 0;
    const testSize = this.opts.testSize ?? Math.floor(n / (this.nSplits + 1));
    if (testSize < 1 || n - gap - testSize * this.nSplits <= 0) {
      throw new InvalidParameterError(`TimeSeriesSplit: ${n} rows are too few for ${this.nSplits} splits of ${testSize} (gap ${gap})`);
    }
    const out: Split[] = [];
    for (let f = 0; f < this.nSplits; f++) {
      const testStart = n - testSize * (this.nSplits - f);
      const trainEnd = testStart - gap;
      const trainStart = this.opts.maxTrainSize ? Math.max(0, trainEnd - this.opts.maxTrainSize) : 0;
      out.push({ train: range(trainStart, trainEnd), test: range(testStart, testStart + testSize) });
    }
    return out;
  }
}
