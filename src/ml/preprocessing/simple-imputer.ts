// SimpleImputer: replaces NaN in numeric columns by a per-column statistic learned in fit.
import { InvalidParameterError } from '../core/errors.ts';
import { checkCols, checkXy, requireFitted, resolveParams, type SerializedEstimator, type Transformer, BaseEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import { arr, expectKind, f64 } from '../data/json.ts';

export type ImputeStrategy = 'mean' | 'median' | 'most_frequent' | 'constant';
export interface SimpleImputerParams { strategy: ImputeStrategy; fillValue: number }
const STRATEGIES: ImputeStrategy[] = ['mean', 'median', 'most_frequent', 'constant'];

export class SimpleImputer extends BaseEstimator<SimpleImputerParams> implements Transformer<SimpleImputerParams> {
  readonly kind = 'SimpleImputer';
  readonly params: SimpleImputerParams;
  private stats: Float64Array | null = null;

  constructor(params: Partial<SimpleImputerParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { strategy: 'mean', fillValue: 0 }, params);
    if (!STRATEGIES.includes(this.params.strategy)) {
      throw new InvalidParameterError(`SimpleImputer: strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(this.params.strategy)}`);
    }
  }

  fit(X: Matrix): this {
    checkXy(this.kind, X, undefined, { allowNaN: true });
    const d = X.cols, n = X.rows;
    const stats = new Float64Array(d);
    const col = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) {
        const v = X.data[i * d + j]!;
        if (Number.isNaN(v)) continue;
        if (!Number.isFinite(v)) throw new InvalidParameterError(`SimpleImputer: X[${i}][${j}] is ${v}`);
        col[m++] = v;
      }
      // a column with no observed value falls back to fillValue (sklearn would drop it; keeping
      // it keeps the feature layout fixed for export)
      stats[j] = m === 0 ? this.params.fillValue : statistic(this.params.strategy, col.subarray(0, m), this.params.fillValue);
    }
    this.stats = stats;
    return this;
  }

  get statistics(): Float64Array { return requireFitted(this.kind, this.stats).slice(); }

  transform(X: Matrix): Matrix {
    const s = requireFitted(this.kind, this.stats);
    checkXy(this.kind, X, undefined, { allowNaN: true });
    checkCols(this.kind, X, s.length);
    const d = X.cols, out = X.data.slice();
    for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i]!)) out[i] = s[i % d]!;
    return { rows: X.rows, cols: d, data: out };
  }

  fitTransform(X: Matrix): Matrix { return this.fit(X).transform(X); }

  toJSON(): SerializedEstimator<SimpleImputerParams> {
    return { kind: this.kind, format: 1, params: { ...this.params }, state: this.stats ? { statistics: arr(this.stats) } : null };
  }

  static fromJSON(json: SerializedEstimator): SimpleImputer {
    const j = expectKind<SimpleImputerParams, { statistics: number[] } | null>(json, 'SimpleImputer');
    const m = new SimpleImputer(j.params);
    if (j.state) m.stats = f64(j.state.statistics);
    return m;
  }
}

function statistic(strategy: ImputeStrategy, v: Float64Array, fill: number): number {
  switch (strategy) {
    case 'constant': return fill;
    case 'mean': { let s = 0; for (const x of v) s += x; return s / v.length; }
    case 'median': {
      const s = v.slice().sort();
      const h = s.length >> 1;
      return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
    }
    case 'most_frequent': {
      // ties go to the smallest value, as in sklearn
      const s = v.slice().sort();
      let best = s[0]!, bestCount = 0;
      for (let i = 0; i < s.length;) {
        let j = i;
        while (j < s.length && s[j] === s[i]) j++;
        if (j - i > bestCount) { bestCount = j - i; best = s[i]!; }
        i = j;
      }
      return best;
    }
  }
}
