// ColumnTransformer: the step from a Frame (named numeric + categorical columns) to the Matrix a
// model trains on. Numeric inputs: SimpleImputer, then optional scaling; categorical inputs:
// OneHotEncoder (unknown or missing -> zeros). The encoded vector follows the input order, one
// value per numeric input and one block per categorical input, which is exactly the layout the
// ONNX spec (core/onnx-spec.ts) describes, so export needs nothing but this state.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { requireFitted, resolveParams, type Estimator, type SerializedEstimator, BaseEstimator } from '../core/estimator.ts';
import { isNumeric, type Column, type Frame } from '../core/frame.ts';
import type { Matrix } from '../core/matrix.ts';
import type { OnnxInput, OnnxModelSpec } from '../core/onnx-spec.ts';
import { expectKind } from '../data/json.ts';
import { getColumn } from '../data/frame-ops.ts';
import { SimpleImputer, type ImputeStrategy } from './simple-imputer.ts';
import { StandardScaler } from './standard-scaler.ts';
import { MinMaxScaler } from './minmax-scaler.ts';
import { OneHotEncoder } from './one-hot-encoder.ts';

export interface ColumnTransformerParams {
  /** numeric input columns; with categorical also empty, every column but `exclude` is used, typed by detectColumns() */
  numeric: string[];
  categorical: string[];
  exclude: string[];
  /**
   * numeric inputs holding dates or timestamps as seconds since 1970-01-01T00:00:00Z (the one
   * encoding of time here, as the table loader reads DATE/TIMESTAMP columns): a caller may give
   * them as ISO 8601 strings at prediction (see dateToSeconds)
   */
  dates: string[];
  impute: ImputeStrategy;
  fillValue: number;
  scale: 'none' | 'standard' | 'minmax';
  maxCategories: number;
  minFrequency: number;
}

interface State {
  inputs: { name: string; kind: 'numeric' | 'categorical' }[];
  imputer: SimpleImputer | null;
  scaler: StandardScaler | MinMaxScaler | null;
  encoder: OneHotEncoder | null;
}

const DEFAULTS: ColumnTransformerParams = {
  numeric: [], categorical: [], exclude: [], dates: [], impute: 'mean', fillValue: 0, scale: 'none', maxCategories: 0, minFrequency: 1,
};

/**
 * A date or timestamp as the numeric feature it is trained on: seconds since the Unix epoch (UTC).
 * Takes a number (already seconds) or an ISO 8601 string (a date alone is midnight UTC); NaN
 * when the string is not a date.
 */
export function dateToSeconds(v: number | string): number {
  if (typeof v === 'number') return v;
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v.trim())) return NaN;
  const s = v.trim().replace(' ', 'T');
  // a date-time without a zone is UTC here, as DuckDB's epoch() of a TIMESTAMP reads it
  const ms = Date.parse(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(s) || !s.includes('T') ? s : `${s}Z`);
  return Number.isFinite(ms) ? ms / 1000 : NaN;
}

/** Splits a frame's columns by type: Float64Array columns are numeric, string columns categorical. */
export function detectColumns(frame: Frame, exclude: Iterable<string> = []): { numeric: string[]; categorical: string[] } {
  const ex = new Set(exclude);
  const numeric: string[] = [], categorical: string[] = [];
  for (const [name, c] of frame.columns) {
    if (ex.has(name)) continue;
    (isNumeric(c) ? numeric : categorical).push(name);
  }
  return { numeric, categorical };
}

/** The default encoding of a table for a target: numeric columns mean-imputed, strings one-hot. */
export function defaultEncoder(frame: Frame, opts: { target?: string; exclude?: string[] } & Partial<ColumnTransformerParams> = {}): ColumnTransformer {
  const { target, exclude = [], ...rest } = opts;
  const ex = target ? [...exclude, target] : exclude;
  const { numeric, categorical } = detectColumns(frame, ex);
  return new ColumnTransformer({ ...rest, numeric, categorical, exclude: ex });
}

export class ColumnTransformer extends BaseEstimator<ColumnTransformerParams> implements Estimator<ColumnTransformerParams> {
  readonly kind = 'ColumnTransformer';
  readonly params: ColumnTransformerParams;
  private state: State | null = null;

  constructor(params: Partial<ColumnTransformerParams> = {}) {
    super();
    this.params = resolveParams(this.kind, DEFAULTS, params);
    if (!['none', 'standard', 'minmax'].includes(this.params.scale)) {
      throw new InvalidParameterError(`ColumnTransformer: scale must be none, standard or minmax, got ${JSON.stringify(this.params.scale)}`);
    }
    const both = this.params.numeric.filter((c) => this.params.categorical.includes(c));
    if (both.length) throw new InvalidParameterError(`ColumnTransformer: column "${both[0]}" is listed as both numeric and categorical`);
  }

  fit(frame: Frame): this {
    if (frame.length === 0) throw new InvalidInputError('ColumnTransformer: frame has no rows');
    let { numeric, categorical } = this.params;
    if (numeric.length === 0 && categorical.length === 0) ({ numeric, categorical } = detectColumns(frame, this.params.exclude));
    if (numeric.length + categorical.length === 0) throw new InvalidInputError('ColumnTransformer: no input columns');
    const num = new Set(numeric), cat = new Set(categorical);
    for (const c of [...numeric, ...categorical]) getColumn(frame, c);
    // inputs follow the frame's column order, so the encoded layout is stable and readable
    const inputs = [...frame.columns.keys()].filter((c) => num.has(c) || cat.has(c))
      .map((name) => ({ name, kind: (num.has(name) ? 'numeric' : 'categorical') as 'numeric' | 'categorical' }));
    const state: State = { inputs, imputer: null, scaler: null, encoder: null };
    const numNames = inputs.filter((i) => i.kind === 'numeric').map((i) => i.name);
    const catNames = inputs.filter((i) => i.kind === 'categorical').map((i) => i.name);
    if (numNames.length) {
      const raw = numericBlock(frame, numNames);
      state.imputer = new SimpleImputer({ strategy: this.params.impute, fillValue: this.params.fillValue }).fit(raw);
      if (this.params.scale !== 'none') {
        const imputed = state.imputer.transform(raw);
        state.scaler = (this.params.scale === 'standard' ? new StandardScaler() : new MinMaxScaler()).fit(imputed);
      }
    }
    if (catNames.length) {
      state.encoder = new OneHotEncoder({ maxCategories: this.params.maxCategories, minFrequency: this.params.minFrequency })
        .fit(catNames.map((n) => stringColumn(getColumn(frame, n))));
    }
    this.state = state;
    return this;
  }

  /** the model's inputs in order; date inputs (numeric, epoch seconds) are marked */
  get inputs(): { name: string; kind: 'numeric' | 'categorical'; date?: true }[] {
    const dates = new Set(this.params.dates);
    return requireFitted(this.kind, this.state).inputs.map((i) => (dates.has(i.name) && i.kind === 'numeric' ? { ...i, date: true as const } : { ...i }));
  }

  /** encoded column names: the numeric column's name, or "column=category" for one-hot positions */
  featureNames(): string[] {
    const s = requireFitted(this.kind, this.state);
    const cats = s.encoder?.categories ?? [];
    let c = 0;
    return s.inputs.flatMap((i) => (i.kind === 'numeric' ? [i.name] : cats[c++]!.map((v) => `${i.name}=${v}`)));
  }

  get nFeatures(): number {
    const s = requireFitted(this.kind, this.state);
    return s.inputs.filter((i) => i.kind === 'numeric').length + (s.encoder?.nOutputs ?? 0);
  }

  transform(frame: Frame): Matrix {
    const s = requireFitted(this.kind, this.state);
    const n = frame.length, width = this.nFeatures;
    const out = new Float64Array(n * width);
    const numNames = s.inputs.filter((i) => i.kind === 'numeric').map((i) => i.name);
    let numBlock: Matrix | null = null;
    if (numNames.length) {
      numBlock = s.imputer!.transform(numericBlock(frame, numNames));
      if (s.scaler) numBlock = s.scaler.transform(numBlock);
    }
    let at = 0, nj = 0, cj = 0;
    const cats = s.encoder?.categories ?? [];
    for (const inp of s.inputs) {
      if (inp.kind === 'numeric') {
        const src = numBlock!.data, nc = numBlock!.cols;
        for (let i = 0; i < n; i++) out[i * width + at] = src[i * nc + nj]!;
        nj++; at++;
      } else {
        s.encoder!.encodeInto(cj, stringColumn(getColumn(frame, inp.name)), out, width, at);
        at += cats[cj]!.length; cj++;
      }
    }
    return { rows: n, cols: width, data: out };
  }

  fitTransform(frame: Frame): Matrix { return this.fit(frame).transform(frame); }

  /** The encoder half of an ONNX spec (inputs, numeric imputation, scaling). */
  onnxInputs(): Pick<OnnxModelSpec, 'inputs' | 'imputeNumeric' | 'scale'> {
    const s = requireFitted(this.kind, this.state);
    const cats = s.encoder?.categories ?? [];
    let c = 0;
    const inputs: OnnxInput[] = s.inputs.map((i) => (i.kind === 'numeric'
      ? { name: i.name, kind: 'numeric' }
      : { name: i.name, kind: 'categorical', categories: cats[c++]! }));
    const spec: Pick<OnnxModelSpec, 'inputs' | 'imputeNumeric' | 'scale'> = { inputs };
    if (s.imputer) spec.imputeNumeric = Array.from(s.imputer.statistics);
    if (s.scaler) {
      const a = s.scaler.affine();
      const offset: number[] = [], scale: number[] = [];
      let nj = 0, cj = 0;
      for (const i of s.inputs) {
        if (i.kind === 'numeric') { offset.push(a.offset[nj]!); scale.push(a.scale[nj]!); nj++; }
        else { for (let k = 0; k < cats[cj]!.length; k++) { offset.push(0); scale.push(1); } cj++; }
      }
      spec.scale = { offset, scale };
    }
    return spec;
  }

  toJSON(): SerializedEstimator<ColumnTransformerParams> {
    const s = this.state;
    return {
      kind: this.kind, format: 1, params: structuredClone(this.params),
      state: s ? { inputs: s.inputs, imputer: s.imputer?.toJSON() ?? null, scaler: s.scaler?.toJSON() ?? null, encoder: s.encoder?.toJSON() ?? null } : null,
    };
  }

  static fromJSON(json: SerializedEstimator): ColumnTransformer {
    type J = { inputs: State['inputs']; imputer: SerializedEstimator | null; scaler: SerializedEstimator | null; encoder: SerializedEstimator | null } | null;
    const j = expectKind<ColumnTransformerParams, J>(json, 'ColumnTransformer');
    const m = new ColumnTransformer(j.params);
    if (j.state) {
      const st = j.state;
      m.state = {
        inputs: st.inputs.map((i) => ({ ...i })),
        imputer: st.imputer ? SimpleImputer.fromJSON(st.imputer) : null,
        scaler: st.scaler ? (st.scaler.kind === 'StandardScaler' ? StandardScaler.fromJSON(st.scaler) : MinMaxScaler.fromJSON(st.scaler)) : null,
        encoder: st.encoder ? OneHotEncoder.fromJSON(st.encoder) : null,
      };
    }
    return m;
  }
}

/** n x k matrix of the named numeric columns (strings that parse as numbers are accepted; blanks are NaN). */
function numericBlock(frame: Frame, names: string[]): Matrix {
  const n = frame.length, k = names.length;
  const out = new Float64Array(n * k);
  names.forEach((name, j) => {
    const c = getColumn(frame, name);
    if (c.length !== n) throw new InvalidInputError(`column "${name}" has ${c.length} rows, frame has ${n}`);
    if (isNumeric(c)) { for (let i = 0; i < n; i++) out[i * k + j] = c[i]!; return; }
    for (let i = 0; i < n; i++) {
      const v = c[i];
      const x = v === null || v.trim() === '' ? NaN : Number(v);
      if (v !== null && v.trim() !== '' && Number.isNaN(x)) throw new InvalidInputError(`column "${name}" is numeric but row ${i} is ${JSON.stringify(v)}`);
      out[i * k + j] = x;
    }
  });
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (v === Infinity || v === -Infinity) throw new InvalidInputError(`column "${names[i % k]}" row ${Math.floor(i / k)} is ${v}`);
  }
  return { rows: n, cols: k, data: out };
}

/** A categorical column as strings; numbers (e.g. integer codes) become their decimal text. */
function stringColumn(c: Column): (string | null)[] {
  if (!isNumeric(c)) return c;
  return Array.from(c, (v) => (Number.isNaN(v) ? null : String(v)));
}
