// Distances between rows and centres, and the centres' geometry that Hamerly's bounds need:
// shared by the JavaScript kernels (kernels.ts) and the WebAssembly ones (wasm-assign.ts), so
// neither imports the other.

/** Squared Euclidean distance between row i of X and row c of C. */
export function sqDist(X: Float64Array, i: number, C: Float64Array, c: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) { const e = X[i * d + j]! - C[c * d + j]!; s += e * e; }
  return s;
}

/** Per-iteration centre geometry for Hamerly's bounds. */
export interface CentreMoves {
  /** how far each centre moved in the last update */
  move: Float64Array;
  /** half the distance from each centre to its nearest other centre */
  half: Float64Array;
}

export function centreGeometry(centers: Float64Array, prev: Float64Array | null, k: number, d: number): CentreMoves {
  const move = new Float64Array(k), half = new Float64Array(k).fill(Infinity);
  if (prev) for (let c = 0; c < k; c++) move[c] = Math.sqrt(sqDist(centers, c, prev, c, d));
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) {
    const h = Math.sqrt(sqDist(centers, a, centers, b, d)) / 2;
    if (h < half[a]!) half[a] = h;
    if (h < half[b]!) half[b] = h;
  }
  return { move, half };
}
