// Raw model inputs (a Frame or plain records) read column by column in the form both the ONNX
// graph and the reference evaluator take: numeric columns as Float64Array (NaN = missing),
// categorical columns as strings (null = missing). Shared so both read rows identically.
import type { Frame } from '../core/frame.ts';
import { isNumeric } from '../core/frame.ts';
import type { Matrix } from '../core/matrix.ts';
import { InvalidInputError } from '../core/errors.ts';

export type InputKind = 'numeric' | 'categorical';
export type Rows = readonly Record<string, unknown>[];
export type ModelInput = Frame | Rows;

/** What the exported graph (and the reference evaluator) returns. */
export interface OnnxPrediction {
  /** row-major, `predictionCols` values per row: regression values, or class / cluster labels */
  prediction: Float64Array;
  predictionCols: number;
  /** classifiers: one column per class, in `classes` order */
  probabilities?: Matrix;
  /** kmeans: Euclidean distance of each row to each centre */
  distances?: Matrix;
}

export interface ReadColumns {
  length: number;
  numeric: Map<string, Float64Array>;
  categorical: Map<string, (string | null)[]>;
}

function isFrame(input: ModelInput): input is Frame {
  return !Array.isArray(input) && typeof (input as Frame).columns?.get === 'function';
}

function toNumber(name: string, i: number, v: unknown): number {
  if (v === null || v === undefined || v === '') return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const x = Number(v);
    if (!Number.isNaN(x)) return x;
  }
  throw new InvalidInputError(`input '${name}' row ${i}: expected a number, got ${JSON.stringify(v)}`);
}

function toCategory(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  return String(v);
}

export function readColumns(inputs: readonly { name: string; kind: InputKind }[], input: ModelInput): ReadColumns {
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  if (isFrame(input)) {
    for (const { name, kind } of inputs) {
      const col = input.columns.get(name);
      if (!col) throw new InvalidInputError(`input '${name}' is missing from the frame`);
      if (kind === 'numeric') {
        if (!isNumeric(col)) throw new InvalidInputError(`input '${name}' must be a numeric column, got strings`);
        numeric.set(name, col);
      } else {
        categorical.set(name, isNumeric(col) ? Array.from(col, toCategory) : col);
      }
    }
    return { length: input.length, numeric, categorical };
  }
  const rows = input;
  for (const { name, kind } of inputs) {
    if (kind === 'numeric') numeric.set(name, Float64Array.from(rows, (r, i) => toNumber(name, i, r[name])));
    else categorical.set(name, rows.map((r) => toCategory(r[name])));
  }
  return { length: rows.length, numeric, categorical };
}
