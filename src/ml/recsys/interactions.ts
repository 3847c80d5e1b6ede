// A user x item interaction matrix in compressed sparse rows, plus its transpose (items x users),
// with string ids mapped to dense indices. Both orientations are kept because ALS solves users
// from the rows and items from the columns, and item-kNN / EASE walk items' user lists.
import { InvalidInputError } from '../core/errors.ts';

/** Compressed sparse rows: row r holds indices[indptr[r]..indptr[r+1]) with values in data. */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

export interface Triples {
  users: ArrayLike<string>;
  items: ArrayLike<string>;
  /** defaults to 1 for every row */
  weights?: ArrayLike<number>;
}

export interface InteractionsOptions {
  /** how repeated (user, item) rows combine; 'sum' suits play counts, 'max' ratings */
  duplicates?: 'sum' | 'max' | 'last';
  /** extra ids to include even without interactions (e.g. the union with a test file) */
  userIds?: Iterable<string>;
  itemIds?: Iterable<string>;
  /** where memory matters (10M rows) the transpose can be skipped; built on first use */
  transpose?: boolean;
}

export class Interactions {
  readonly userIds: string[];
  readonly itemIds: string[];
  readonly userIndex: Map<string, number>;
  readonly itemIndex: Map<string, number>;
  /** users x items */
  readonly byUser: Csr;
  private transposed: Csr | undefined;

  constructor(userIds: string[], itemIds: string[], byUser: Csr, byItem?: Csr) {
    if (byUser.rows !== userIds.length || byUser.cols !== itemIds.length) {
      throw new InvalidInputError(
        `Interactions: matrix is ${byUser.rows} x ${byUser.cols} but there are ${userIds.length} user ids and ${itemIds.length} item ids`,
      );
    }
    this.userIds = userIds;
    this.itemIds = itemIds;
    this.userIndex = indexOf(userIds, 'user');
    this.itemIndex = indexOf(itemIds, 'item');
    this.byUser = byUser;
    this.transposed = byItem;
  }

  get nUsers(): number { return this.byUser.rows; }
  get nItems(): number { return this.byUser.cols; }
  get nnz(): number { return this.byUser.indices.length; }

  /** items x users */
  get byItem(): Csr {
    this.transposed ??= transposeCsr(this.byUser);
    return this.transposed;
  }

  /** Builds the matrix from (user, item, weight) rows; ids are indexed in first-seen order. */
  static fromTriples(t: Triples, opts: InteractionsOptions = {}): Interactions {
    const n = t.users.length;
    if (t.items.length !== n) throw new InvalidInputError(`Interactions: ${n} users but ${t.items.length} items`);
    if (t.weights && t.weights.length !== n) throw new InvalidInputError(`Interactions: ${n} users but ${t.weights.length} weights`);
    const userIndex = new Map<string, number>();
    const itemIndex = new Map<string, number>();
    for (const u of opts.userIds ?? []) if (!userIndex.has(u)) userIndex.set(u, userIndex.size);
    for (const i of opts.itemIds ?? []) if (!itemIndex.has(i)) itemIndex.set(i, itemIndex.size);
    const ru = new Int32Array(n);
    const ci = new Int32Array(n);
    const w = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const u = t.users[r];
      const it = t.items[r];
      if (u === undefined || u === null || u === '') throw new InvalidInputError(`Interactions: row ${r}: field "user" is empty`);
      if (it === undefined || it === null || it === '') throw new InvalidInputError(`Interactions: row ${r}: field "item" is empty`);
      const wt = t.weights ? Number(t.weights[r]) : 1;
      if (!Number.isFinite(wt)) throw new InvalidInputError(`Interactions: row ${r}: field "weight" is ${t.weights![r]}, not a finite number`);
      let a = userIndex.get(u);
      if (a === undefined) { a = userIndex.size; userIndex.set(u, a); }
      let b = itemIndex.get(it);
      if (b === undefined) { b = itemIndex.size; itemIndex.set(it, b); }
      ru[r] = a; ci[r] = b; w[r] = wt;
    }
    const csr = coordinatesToCsr(userIndex.size, itemIndex.size, ru, ci, w, opts.duplicates ?? 'sum');
    const m = new Interactions([...userIndex.keys()], [...itemIndex.keys()], csr);
    if (opts.transpose !== false) void m.byItem;
    return m;
  }

  /** The items of one user (indices and weights), sorted by item index. */
  row(user: number): { indices: Int32Array; data: Float32Array } {
    const { indptr, indices, data } = this.byUser;
    return { indices: indices.subarray(indptr[user]!, indptr[user + 1]!), data: data.subarray(indptr[user]!, indptr[user + 1]!) };
  }

  /** Number of users who interacted with each item. */
  itemCounts(): Float64Array {
    const out = new Float64Array(this.nItems);
    const idx = this.byUser.indices;
    for (let k = 0; k < idx.length; k++) out[idx[k]!]! += 1;
    return out;
  }
}

function indexOf(ids: string[], what: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    if (m.has(ids[i]!)) throw new InvalidInputError(`Interactions: duplicate ${what} id "${ids[i]}"`);
    m.set(ids[i]!, i);
  }
  return m;
}

/** Sorts coordinates into CSR (counting sort by row, then by column within a row). */
export function coordinatesToCsr(rows: number, cols: number, r: Int32Array, c: Int32Array, w: Float32Array, duplicates: 'sum' | 'max' | 'last' = 'sum'): Csr {
  const n = r.length;
  const indptr = new Int32Array(rows + 1);
  for (let k = 0; k < n; k++) indptr[r[k]! + 1]!++;
  for (let i = 0; i < rows; i++) indptr[i + 1]! += indptr[i]!;
  const fill = indptr.slice(0, rows);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[fill[r[k]!]!++] = k;
  const indices = new Int32Array(n);
  const data = new Float32Array(n);
  const outPtr = new Int32Array(rows + 1);
  let out = 0;
  const tmp: number[] = [];
  for (let i = 0; i < rows; i++) {
    const lo = indptr[i]!, hi = indptr[i + 1]!;
    tmp.length = 0;
    for (let k = lo; k < hi; k++) tmp.push(order[k]!);
    // stable by input order, so 'last' means the last row in the input
    tmp.sort((a, b) => c[a]! - c[b]! || a - b);
    let prev = -1;
    for (const k of tmp) {
      const col = c[k]!;
      if (col === prev) {
        const j = out - 1;
        if (duplicates === 'sum') data[j]! += w[k]!;
        else if (duplicates === 'max') data[j] = Math.max(data[j]!, w[k]!);
        else data[j] = w[k]!;
        continue;
      }
      indices[out] = col; data[out] = w[k]!; out++; prev = col;
    }
    outPtr[i + 1] = out;
  }
  return { rows, cols, indptr: outPtr, indices: indices.slice(0, out), data: data.slice(0, out) };
}

export function transposeCsr(m: Csr): Csr {
  const nnz = m.indices.length;
  const indptr = new Int32Array(m.cols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k]! + 1]!++;
  for (let j = 0; j < m.cols; j++) indptr[j + 1]! += indptr[j]!;
  const fill = indptr.slice(0, m.cols);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  // rows visited in order, so each column's row list comes out sorted
  for (let i = 0; i < m.rows; i++) {
    for (let k = m.indptr[i]!; k < m.indptr[i + 1]!; k++) {
      const p = fill[m.indices[k]!]!++;
      indices[p] = i; data[p] = m.data[k]!;
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, data };
}
