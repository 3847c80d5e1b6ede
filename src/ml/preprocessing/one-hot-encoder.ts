// OneHotEncoder for categorical (string) columns. Categories are learned in fit, sorted; a value
// not seen in fit, or missing (null), encodes as all zeros (sklearn handle_unknown='ignore'),
// which is also what the ONNX OneHotEncoder does with zeros=1.
import { InvalidInputError } from '../core/errors.ts';
import { requireFitted, resolveParams, type Estimator, type SerializedEstimator, BaseEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import { expectKind } from '../data/json.ts';

export type StringColumn = ArrayLike<string | null>;
export interface OneHotEncoderParams {
  /** keep at most this many categories per column, the most frequent (0 = all); the rest encode as zeros */
  maxCategories: number;
  /** categories seen fewer times are dropped (encode as zeros) */
  minFrequency: number;
}

export class OneHotEncoder extends BaseEstimator<OneHotEncoderParams> implements Estimator<OneHotEncoderParams> {
  readonly kind = 'OneHotEncoder';
  readonly params: OneHotEncoderParams;
  private cats: string[][] | null = null;
  private lookup: Map<string, number>[] = [];

  constructor(params: Partial<OneHotEncoderParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { maxCategories: 0, minFrequency: 1 }, params);
  }

  /** columns[j] holds column j's values (column-major: the shape Frames already have) */
  fit(columns: StringColumn[]): this {
    if (columns.length === 0) throw new InvalidInputError('OneHotEncoder: no columns to fit');
    const n = columns[0]!.length;
    this.cats = columns.map((c, j) => {
      if (c.length !== n) throw new InvalidInputError(`OneHotEncoder: column ${j} has ${c.length} rows, expected ${n}`);
      const counts = new Map<string, number>();
      for (let i = 0; i < c.length; i++) { const v = c[i]; if (v !== null && v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1); }
      let kept = [...counts].filter(([, k]) => k >= this.params.minFrequency);
      if (this.params.maxCategories > 0 && kept.length > this.params.maxCategories) {
        kept = kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, this.params.maxCategories);
      }
      return kept.map(([v]) => v).sort();
    });
    this.index();
    return this;
  }

  private index(): void {
    this.lookup = this.cats!.map((c) => new Map(c.map((v, k) => [v, k])));
  }

  get categories(): string[][] { return requireFitted(this.kind, this.cats).map((c) => c.slice()); }
  get nOutputs(): number { return requireFitted(this.kind, this.cats).reduce((s, c) => s + c.length, 0); }

  transform(columns: StringColumn[]): Matrix {
    const cats = requireFitted(this.kind, this.cats);
    if (columns.length !== cats.length) throw new InvalidInputError(`OneHotEncoder: got ${columns.length} columns, fitted on ${cats.length}`);
    const n = columns.length ? columns[0]!.length : 0;
    const width = this.nOutputs;
    const out = new Float64Array(n * width);
    let base = 0;
    for (let j = 0; j < cats.length; j++) {
      const c = columns[j]!, lk = this.lookup[j]!;
      if (c.length !== n) throw new InvalidInputError(`OneHotEncoder: column ${j} has ${c.length} rows, expected ${n}`);
      this.writeBlock(c, lk, out, width, base);
      base += cats[j]!.length;
    }
    return { rows: n, cols: width, data: out };
  }

  /** Writes column j's one-hot block into an existing row-major buffer at column offset `at`. */
  encodeInto(j: number, values: StringColumn, out: Float64Array, stride: number, at: number): void {
    requireFitted(this.kind, this.cats);
    this.writeBlock(values, this.lookup[j]!, out, stride, at);
  }

  private writeBlock(c: StringColumn, lk: Map<string, number>, out: Float64Array, stride: number, at: number): void {
    for (let i = 0; i < c.length; i++) {
      const v = c[i];
      if (v === null || v === undefined) continue;
      const k = lk.get(v);
      if (k !== undefined) out[i * stride + at + k] = 1;
    }
  }

  toJSON(): SerializedEstimator<OneHotEncoderParams> {
    return { kind: this.kind, format: 1, params: { ...this.params }, state: this.cats ? { categories: this.cats } : null };
  }

  static fromJSON(json: SerializedEstimator): OneHotEncoder {
    const j = expectKind<OneHotEncoderParams, { categories: string[][] } | null>(json, 'OneHotEncoder');
    const m = new OneHotEncoder(j.params);
    if (j.state) { m.cats = j.state.categories.map((c) => c.slice()); m.index(); }
    return m;
  }
}
