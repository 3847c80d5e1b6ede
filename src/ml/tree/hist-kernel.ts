// Histogram kernels generated for one binned layout (as the k-means kernels are): the column
// loop is unrolled with each column's byte position and histogram offset as constants, so a
// cell costs one byte load and the slot updates, without loading offsets or running a loop.
// Every slot receives the same additions in the same order as a plain loop would give it, so
// results are bit for bit those of the generic code; only the speed differs.

/** adds rows[k0..k1) of columns [c0, c1): hist[slot] += g, (h), count */
export type RowsKernel = (hist: Float64Array, bins: Uint8Array, rows: Int32Array, g: Float64Array, h: Float64Array | null, k0: number, k1: number) => void;
/** rows[k0..k1) in pairs (an even count): the first of each pair into hist, the second into h2 */
export type PairsKernel = (hist: Float64Array, h2: Float64Array, bins: Uint8Array, rows: Int32Array, g: Float64Array, h: Float64Array | null, k0: number, k1: number) => void;

/** The statements adding row `i` (bytes at `b`) with gradient `gv` / hessian `hv` to array `H`. */
function cells(colOffset: Int32Array, c0: number, c1: number, stride: number, H: string, b: string, gv: string, hv: string, qv: string, counts: boolean): string[] {
  const L: string[] = [];
  for (let c = c0; c < c1; c++) {
    const o = colOffset[c]! * stride;
    const q = stride === 2 ? `(${b}[${c}] << 1) + ${o}` : `${b}[${c}] * 3 + ${o}`;
    // bins[b + c] with b the row's first byte: written as bins[b + c] below
    L.push(`${qv} = ${q.replace(`${b}[${c}]`, `bins[${b} + ${c}]`)};`);
    L.push(`${H}[${qv}] += ${gv};`);
    if (stride === 3) L.push(`${H}[${qv} + 1] += ${hv};`);
    // without counts the slot keeps its place (a constant 0 line keeps the pairs interleave even)
    L.push(counts ? `${H}[${qv} + ${stride - 1}] += 1;` : '');
  }
  return L;
}

/** counts false: the count slots are left alone (the caller knows them; unit hessians only) */
export function rowsKernel(nCols: number, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3, counts = true): RowsKernel {
  const L = [
    'let q = 0;',
    'for (let k = k0; k < k1; k++) {',
    `  const i = rows[k], gi = g[i], hi = ${stride === 3 ? 'h[i]' : '0'}, b = i * ${nCols};`,
    ...cells(colOffset, c0, c1, stride, 'hist', 'b', 'gi', 'hi', 'q', counts).map((s) => '  ' + s),
    '}',
  ];
  return new Function('hist', 'bins', 'rows', 'g', 'h', 'k0', 'k1', L.join('\n')) as RowsKernel;
}

export function pairsKernel(nCols: number, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3, counts = true): PairsKernel {
  const L = [
    'let q = 0, u = 0;',
    'for (let k = k0; k < k1; k += 2) {',
    `  const i = rows[k], j = rows[k + 1], gi = g[i], gj = g[j], hi = ${stride === 3 ? 'h[i]' : '0'}, hj = ${stride === 3 ? 'h[j]' : '0'}, b = i * ${nCols}, d = j * ${nCols};`,
  ];
  const a = cells(colOffset, c0, c1, stride, 'hist', 'b', 'gi', 'hi', 'q', counts);
  const z = cells(colOffset, c0, c1, stride, 'h2', 'd', 'gj', 'hj', 'u', counts);
  // interleave the two rows' columns: independent chains side by side
  const per = stride === 3 ? 4 : 3;
  for (let c = 0; c < c1 - c0; c++) L.push(...a.slice(c * per, c * per + per).map((s) => '  ' + s), ...z.slice(c * per, c * per + per).map((s) => '  ' + s));
  L.push('}');
  return new Function('hist', 'h2', 'bins', 'rows', 'g', 'h', 'k0', 'k1', L.join('\n')) as PairsKernel;
}
