// Dense numeric data for the ML core: row-major Float64Array with its shape.
// Everything numeric in ml/ takes and returns these, never arrays of arrays.

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** row-major: element (i, j) is data[i * cols + j] */
  readonly data: Float64Array;
}

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const n = rows.length;
  const d = n ? rows[0]!.length : 0;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (r.length !== d) throw new ShapeError(`row ${i} has ${r.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) data[i * d + j] = r[j]!;
  }
  return { rows: n, cols: d, data };
}

export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j]!;
  return out;
}

/** Rows picked by index (for splits and bootstraps). */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float64Array(idx.length * m.cols);
  for (let k = 0; k < idx.length; k++) out.set(row(m, idx[k]!), k * m.cols);
  return { rows: idx.length, cols: m.cols, data: out };
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}
