// All pairwise Euclidean distances of a matrix's rows, computed once into a full symmetric
// float32 n x n matrix, for work that asks many questions of the same rows: silhouettes of many
// labelings (each a pass of per-row, per-cluster distance sums instead of n^2/2 distance
// evaluations), and DBSCAN's k-distance curve and region queries (a scan of one row instead of a
// kd-tree search, which in a dozen dimensions visits most of the leaves anyway).
//
// Both halves are stored so that every row's distances are contiguous. The distance of a pair is
// sqrt(sum_t (x_it - x_jt)^2) summed over t in order in float64, then rounded to float32; the
// WebAssembly SIMD kernel computes two pairs per instruction with exactly those operations (the
// JavaScript loop is the fallback and gives the same bits).
//
// The float32 values are exact enough to rank and to bound, but DBSCAN's answers must be those of
// the float64 distances: rounding to float32 is monotone, so a strictly smaller float32 value
// means a strictly smaller float64 one; only rows whose float32 values tie (k-th neighbour) or lie
// within 2^-19 of the radius (region queries) are recomputed from the rows in float64. The results
// equal the kd-tree's exactly.
import type { Matrix } from '../core/matrix.ts';
import { F32, F64, I32, V128, i32Const as i32c, localGet as get, localSet as set, localTee as tee, memoryModule, simdOp as simd, uleb } from '../../util/wasm.ts';
import { heapReplaceTop } from './kdtree.ts';

// opcodes
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40, SELECT = 0x1b;
const I32_LOAD = 0x28, F32_LOAD = 0x2a, F64_LOAD = 0x2b, I32_STORE = 0x36, F32_STORE = 0x38, F64_STORE = 0x39;
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_MUL = 0x6c, I32_AND = 0x71, I32_SHL = 0x74, I32_SHR_U = 0x76;
const I32_LT_S = 0x48, I32_LT_U = 0x49, I32_GE_U = 0x4f, I32_GT_U = 0x4b;
const F32_EQ = 0x5b, F32_LT = 0x5d, F32_GT = 0x5e, F32_LE = 0x5f, F32_GE = 0x60;
const F64_ADD = 0xa0, F64_SUB = 0xa1, F64_PROMOTE = 0xbb;
const V128_LOAD = 0x00, V128_CONST = 0x0c, F32X4_SPLAT = 0x13, F64X2_SPLAT = 0x14, I32X4_EXTRACT = 0x1b, F32X4_EXTRACT = 0x1f;
const F32X4_EQ = 0x41, F32X4_LT = 0x43, F32X4_LE = 0x45, F32X4_GE = 0x46, V128_AND = 0x4e, V128_ANY_TRUE = 0x53;
const STORE64_LANE = 0x5b, F32X4_DEMOTE = 0x5e, F64X2_PROMOTE = 0x5f, I32X4_SUB = 0xb1, V128_STORE = 0x0b, I8X16_SHUFFLE = 0x0d;
const F64X2_SQRT = 0xef, F64X2_ADD = 0xf0, F64X2_SUB = 0xf1, F64X2_MUL = 0xf2;
const f64c = (v: number): number[] => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
const f32c = (v: number): number[] => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
const mem = (op: number, align: number, offset: number): number[] => [op, align, ...uleb(offset)];

/** column pairs whose distances to one row are computed together (independent dependency chains) */
const GROUP = 2;

/**
 * dist(i0, i1, p0, p1, tail, n4, XP, D): for rows i in [i0, i1), the distances to the columns of
 * pairs p in [max(p0, i >> 1), p1) (columns 2p, 2p+1), written to D[i][j] and D[j][i]; with
 * `tail`, also column 2 * p1 alone (the odd last column). XP holds the rows in pairs,
 * dimension-interleaved: pair p, dim t -> [x(2p, t), x(2p+1, t)].
 */
function distFunction(d: number) {
  const I0 = 0, I1 = 1, P0 = 2, P1 = 3, TAIL = 4, N4 = 5, XP = 6, DB = 7;
  const I = 8, RA = 9, P = 10, QX = 11, DR = 12, DC = 13, TMP = 14, N8 = 15;
  const XS = 16, ACC = XS + d, E = ACC + GROUP, V = E + 1;
  const c: number[] = [];
  const pairs = (g: number, tailOnly: boolean) => {
    for (let t = 0; t < d; t++) {
      for (let q = 0; q < g; q++) {
        c.push(...get(XS + t), ...get(QX), ...simd(V128_LOAD, 4, ...uleb((q * d + t) * 16)), ...simd(F64X2_SUB), ...tee(E), ...get(E), ...simd(F64X2_MUL));
        if (t > 0) c.push(...get(ACC + q), ...simd(F64X2_ADD));
        c.push(...set(ACC + q));
      }
    }
    c.push(...get(DC), ...set(TMP));
    for (let q = 0; q < g; q++) {
      c.push(...get(ACC + q), ...simd(F64X2_SQRT), ...simd(F32X4_DEMOTE), ...set(V));
      if (tailOnly) {
        c.push(...get(DR), ...get(V), ...simd(F32X4_EXTRACT, 0), ...mem(F32_STORE, 2, 0));
        c.push(...get(TMP), ...get(V), ...simd(F32X4_EXTRACT, 0), ...mem(F32_STORE, 2, 0));
        continue;
      }
      // row i: both columns at once; columns 2p and 2p+1: one value each (the mirrored half)
      c.push(...get(DR), ...get(V), ...simd(STORE64_LANE, 2, ...uleb(q * 8), 0));
      c.push(...get(TMP), ...get(V), ...simd(F32X4_EXTRACT, 0), ...mem(F32_STORE, 2, 0));
      c.push(...get(TMP), ...get(N4), I32_ADD, ...get(V), ...simd(F32X4_EXTRACT, 1), ...mem(F32_STORE, 2, 0));
      c.push(...get(TMP), ...get(N8), I32_ADD, ...set(TMP));
    }
  };
  const advance = (g: number) => c.push(
    ...get(P), ...i32c(g), I32_ADD, ...set(P),
    ...get(QX), ...i32c(g * d * 16), I32_ADD, ...set(QX),
    ...get(DR), ...i32c(g * 8), I32_ADD, ...set(DR),
    ...get(DC), ...get(N8), ...i32c(g), I32_MUL, I32_ADD, ...set(DC),
  );
  c.push(...get(N4), ...i32c(1), I32_SHL, ...set(N8));
  c.push(...get(I0), ...set(I));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(I), ...get(I1), I32_GE_U, BR_IF, 1);
  // row i's values, splat: RA = XP + (i >> 1) * d * 16 + (i & 1) * 8
  c.push(...get(XP), ...get(I), ...i32c(1), I32_SHR_U, ...i32c(d * 16), I32_MUL, I32_ADD, ...get(I), ...i32c(1), I32_AND, ...i32c(3), I32_SHL, I32_ADD, ...set(RA));
  for (let t = 0; t < d; t++) c.push(...get(RA), ...mem(F64_LOAD, 3, t * 16), ...simd(F64X2_SPLAT), ...set(XS + t));
  // p = max(p0, i >> 1)
  c.push(...get(P0), ...get(I), ...i32c(1), I32_SHR_U, ...tee(TMP), ...get(P0), ...get(TMP), I32_GT_U, SELECT, ...set(P));
  c.push(...get(XP), ...get(P), ...i32c(d * 16), I32_MUL, I32_ADD, ...set(QX));
  c.push(...get(DB), ...get(I), ...get(N4), I32_MUL, I32_ADD, ...get(P), ...i32c(3), I32_SHL, I32_ADD, ...set(DR));
  c.push(...get(DB), ...get(P), ...get(N8), I32_MUL, I32_ADD, ...get(I), ...i32c(2), I32_SHL, I32_ADD, ...set(DC));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(P), ...i32c(GROUP), I32_ADD, ...get(P1), I32_GT_U, BR_IF, 1);
  pairs(GROUP, false);
  advance(GROUP);
  c.push(BR, 0, END, END);
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(P), ...get(P1), I32_GE_U, BR_IF, 1);
  pairs(1, false);
  advance(1);
  c.push(BR, 0, END, END);
  c.push(...get(TAIL), IF, VOID);
  pairs(1, true);
  c.push(END);
  c.push(...get(I), ...i32c(1), I32_ADD, ...set(I));
  c.push(BR, 0, END, END);
  return { name: 'dist', params: 8, locals: [[8, I32], [d + GROUP + 2, V128]] as [number, number][], code: c };
}

/** rows whose cluster sums are accumulated together: each member index is read once for all of
 *  them, and their sums are independent dependency chains */
const SUM_ROWS = 8;

/**
 * sumsBlock / sumsRow(D, n4, i0, i1, members, starts, k, out): for rows i in [i0, i1), R at a time,
 * out[i * k + c] = sum of D[i][j] over the members j of cluster c (ascending), as float64.
 * members holds byte offsets j * 4; starts[c] .. starts[c + 1] are byte addresses into it.
 */
function sumsFunction(R: number, name: string) {
  const DB = 0, N4 = 1, I0 = 2, I1 = 3, ST = 5, K = 6, OUT = 7;
  const I = 8, C = 9, SP = 10, T = 11, EN = 12, M = 13, K8 = 14, B = 15, O = B + R, ACC = O + R;
  const c: number[] = [];
  c.push(...get(K), ...i32c(3), I32_SHL, ...set(K8));
  c.push(...get(I0), ...set(I));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(I), ...i32c(R), I32_ADD, ...get(I1), I32_GT_U, BR_IF, 1);
  for (let r = 0; r < R; r++) {
    c.push(...get(DB), ...get(I), ...i32c(r), I32_ADD, ...get(N4), I32_MUL, I32_ADD, ...set(B + r));
    c.push(...get(OUT), ...get(I), ...i32c(r), I32_ADD, ...get(K8), I32_MUL, I32_ADD, ...set(O + r));
  }
  c.push(...get(ST), ...set(SP), ...i32c(0), ...set(C));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(C), ...get(K), I32_GE_U, BR_IF, 1);
  c.push(...get(SP), ...mem(I32_LOAD, 2, 0), ...set(T), ...get(SP), ...mem(I32_LOAD, 2, 4), ...set(EN));
  for (let r = 0; r < R; r++) c.push(...f64c(0), ...set(ACC + r));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(T), ...get(EN), I32_GE_U, BR_IF, 1);
  c.push(...get(T), ...mem(I32_LOAD, 2, 0), ...set(M));
  for (let r = 0; r < R; r++) c.push(...get(ACC + r), ...get(B + r), ...get(M), I32_ADD, ...mem(F32_LOAD, 2, 0), F64_PROMOTE, F64_ADD, ...set(ACC + r));
  c.push(...get(T), ...i32c(4), I32_ADD, ...set(T));
  c.push(BR, 0, END, END);
  for (let r = 0; r < R; r++) c.push(...get(O + r), ...get(ACC + r), ...mem(F64_STORE, 3, 0), ...get(O + r), ...i32c(8), I32_ADD, ...set(O + r));
  c.push(...get(SP), ...i32c(4), I32_ADD, ...set(SP), ...get(C), ...i32c(1), I32_ADD, ...set(C));
  c.push(BR, 0, END, END);
  c.push(...get(I), ...i32c(R), I32_ADD, ...set(I));
  c.push(BR, 0, END, END);
  return { name, params: 8, locals: [[7 + 2 * R, I32], [R, F64]] as [number, number][], code: c };
}

/**
 * addRows(rows, count, n, acc): acc[i] += D[row][i] for every i < n and each of the `count` rows
 * whose byte offsets are at `rows` (in order): four distances per load, two float64 lanes per add.
 */
function addRowsFunction() {
  const RS = 0, CNT = 1, N = 2, ACCP = 3, R = 4, P = 5, A = 6, STOP = 7, STOP4 = 8, V4 = 9;
  const c: number[] = [];
  const shuffleHigh = simd(I8X16_SHUFFLE, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
  c.push(...get(RS), ...get(CNT), ...i32c(2), I32_SHL, I32_ADD, ...set(STOP));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(RS), ...get(STOP), I32_GE_U, BR_IF, 1);
  c.push(...get(RS), ...mem(I32_LOAD, 2, 0), ...tee(P), ...get(N), ...i32c(-4), I32_AND, ...i32c(2), I32_SHL, I32_ADD, ...set(STOP4));
  c.push(...get(ACCP), ...set(A));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(P), ...get(STOP4), I32_GE_U, BR_IF, 1);
  c.push(...get(P), ...simd(V128_LOAD, 2, 0), ...set(V4));
  c.push(...get(A), ...get(A), ...simd(V128_LOAD, 3, 0), ...get(V4), ...simd(F64X2_PROMOTE), ...simd(F64X2_ADD), ...simd(V128_STORE, 3, 0));
  c.push(...get(A), ...get(A), ...simd(V128_LOAD, 3, 16), ...get(V4), ...get(V4), ...shuffleHigh, ...simd(F64X2_PROMOTE), ...simd(F64X2_ADD), ...simd(V128_STORE, 3, 16));
  c.push(...get(P), ...i32c(16), I32_ADD, ...set(P), ...get(A), ...i32c(32), I32_ADD, ...set(A));
  c.push(BR, 0, END, END);
  // the last n % 4 distances
  c.push(...get(RS), ...mem(I32_LOAD, 2, 0), ...get(N), ...i32c(2), I32_SHL, I32_ADD, ...set(R));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(P), ...get(R), I32_GE_U, BR_IF, 1);
  c.push(...get(A), ...get(A), ...mem(F64_LOAD, 3, 0), ...get(P), ...mem(F32_LOAD, 2, 0), F64_PROMOTE, F64_ADD, ...mem(F64_STORE, 3, 0));
  c.push(...get(P), ...i32c(4), I32_ADD, ...set(P), ...get(A), ...i32c(8), I32_ADD, ...set(A));
  c.push(BR, 0, END, END);
  c.push(...get(RS), ...i32c(4), I32_ADD, ...set(RS));
  c.push(BR, 0, END, END);
  return { name: 'addRows', params: 4, locals: [[5, I32], [1, V128]] as [number, number][], code: c };
}

/** apply(acc, n, k8, from8, to8, sums): sums[i][from] -= acc[i], sums[i][to] += acc[i] for every i < n. */
function applyFunction() {
  const ACCP = 0, N = 1, K8 = 2, F8 = 3, T8 = 4, OUT = 5, I = 6, P = 7, A = 8, X = 9, V = 10;
  const c: number[] = [];
  c.push(...i32c(0), ...set(I), ...get(ACCP), ...set(P), ...get(OUT), ...set(A));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(I), ...get(N), I32_GE_U, BR_IF, 1);
  c.push(...get(P), ...mem(F64_LOAD, 3, 0), ...set(V));
  c.push(...get(A), ...get(F8), I32_ADD, ...tee(X), ...get(X), ...mem(F64_LOAD, 3, 0), ...get(V), F64_SUB, ...mem(F64_STORE, 3, 0));
  c.push(...get(A), ...get(T8), I32_ADD, ...tee(X), ...get(X), ...mem(F64_LOAD, 3, 0), ...get(V), F64_ADD, ...mem(F64_STORE, 3, 0));
  c.push(...get(P), ...i32c(8), I32_ADD, ...set(P), ...get(A), ...get(K8), I32_ADD, ...set(A), ...get(I), ...i32c(1), I32_ADD, ...set(I));
  c.push(BR, 0, END, END);
  return { name: 'apply', params: 6, locals: [[4, I32], [1, F64]] as [number, number][], code: c };
}

/**
 * kth(D, n, i0, i1, k, heap, out): for rows i in [i0, i1), T = the k-th smallest value of row i
 * (a max-heap of k float32 at `heap`; four values are compared with the heap's top at once and
 * only a group with a smaller one is inserted value by value), then how many values are below T,
 * how many equal it and the first column that does. out[i]: [T float32, below, ties, first] (16 bytes).
 */
function kthFunction() {
  const DB = 0, N = 1, I0 = 2, I1 = 3, K = 4, HP = 5, OUT = 6;
  const I = 7, P = 8, STOP = 9, STOP4 = 10, ROW = 11, POS = 12, CH = 13, H = 14, FT = 15, LANE = 16, BELOW = 17, TIES = 18;
  const TOP = 19, V = 20, CV = 21, RV = 22;
  const TV = 23, X4 = 24, AB = 25, AT = 26, EQ = 27;
  const c: number[] = [];
  // heap[0] := v, sifted down (a child larger than v moves up; the larger child first)
  const insert = () => {
    c.push(...i32c(0), ...set(POS));
    c.push(BLOCK, VOID, LOOP, VOID);
    c.push(...get(POS), ...i32c(1), I32_SHL, ...i32c(1), I32_ADD, ...tee(CH), ...get(K), I32_GE_U, BR_IF, 1);
    c.push(...get(HP), ...get(CH), ...i32c(2), I32_SHL, I32_ADD, ...mem(F32_LOAD, 2, 0), ...set(CV));
    // right child, when there is one and it is larger
    c.push(...get(CH), ...i32c(1), I32_ADD, ...get(K), I32_LT_U, IF, VOID);
    c.push(...get(HP), ...get(CH), ...i32c(2), I32_SHL, I32_ADD, ...mem(F32_LOAD, 2, 4), ...tee(RV), ...get(CV), F32_GT, IF, VOID);
    c.push(...get(RV), ...set(CV), ...get(CH), ...i32c(1), I32_ADD, ...set(CH));
    c.push(END, END);
    c.push(...get(CV), ...get(V), F32_LE, BR_IF, 1);
    c.push(...get(HP), ...get(POS), ...i32c(2), I32_SHL, I32_ADD, ...get(CV), ...mem(F32_STORE, 2, 0));
    c.push(...get(CH), ...set(POS));
    c.push(BR, 0, END, END);
    c.push(...get(HP), ...get(POS), ...i32c(2), I32_SHL, I32_ADD, ...get(V), ...mem(F32_STORE, 2, 0));
    c.push(...get(HP), ...mem(F32_LOAD, 2, 0), ...set(TOP));
  };
  // v = value at p; if v < top: insert
  const scalar = (offset: number) => {
    c.push(...get(P), ...mem(F32_LOAD, 2, offset), ...tee(V), ...get(TOP), F32_LT, IF, VOID);
    insert();
    c.push(END);
  };
  const tieCheck = (offset: number, lane: number) => {
    // first column equal to T (the caller knows one of the four is)
    c.push(...get(FT), ...i32c(0), I32_LT_S, IF, VOID);
    c.push(...get(P), ...mem(F32_LOAD, 2, offset), ...get(TOP), F32_EQ, IF, VOID);
    c.push(...get(P), ...get(ROW), I32_SUB, ...i32c(2), I32_SHR_U, ...i32c(lane), I32_ADD, ...set(FT));
    c.push(END, END);
  };
  c.push(...get(I0), ...set(I));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(I), ...get(I1), I32_GE_U, BR_IF, 1);
  c.push(...get(DB), ...get(I), ...get(N), I32_MUL, ...i32c(2), I32_SHL, I32_ADD, ...tee(ROW), ...set(P));
  c.push(...get(ROW), ...get(N), ...i32c(2), I32_SHL, I32_ADD, ...set(STOP));
  c.push(...get(ROW), ...get(N), ...i32c(-4), I32_AND, ...i32c(2), I32_SHL, I32_ADD, ...set(STOP4));
  // heap := +inf
  c.push(...i32c(0), ...set(H));
  c.push(BLOCK, VOID, LOOP, VOID, ...get(H), ...get(K), I32_GE_U, BR_IF, 1);
  c.push(...get(HP), ...get(H), ...i32c(2), I32_SHL, I32_ADD, ...f32c(Infinity), ...mem(F32_STORE, 2, 0));
  c.push(...get(H), ...i32c(1), I32_ADD, ...set(H), BR, 0, END, END);
  c.push(...f32c(Infinity), ...tee(TOP), ...simd(F32X4_SPLAT), ...set(TV));
  // pass 1: the k smallest
  c.push(BLOCK, VOID, LOOP, VOID, ...get(P), ...get(STOP4), I32_GE_U, BR_IF, 1);
  c.push(...get(P), ...simd(V128_LOAD, 2, 0), ...get(TV), ...simd(F32X4_LT), ...simd(V128_ANY_TRUE), IF, VOID);
  for (let l = 0; l < 4; l++) scalar(4 * l);
  c.push(...get(TOP), ...simd(F32X4_SPLAT), ...set(TV));
  c.push(END);
  c.push(...get(P), ...i32c(16), I32_ADD, ...set(P), BR, 0, END, END);
  c.push(BLOCK, VOID, LOOP, VOID, ...get(P), ...get(STOP), I32_GE_U, BR_IF, 1);
  scalar(0);
  c.push(...get(P), ...i32c(4), I32_ADD, ...set(P), BR, 0, END, END);
  // pass 2: below T, equal to T, first equal
  c.push(...get(TOP), ...simd(F32X4_SPLAT), ...set(TV));
  c.push(...simd(V128_CONST, ...new Array(16).fill(0)), ...tee(AB), ...set(AT));
  c.push(...i32c(-1), ...set(FT), ...i32c(0), ...tee(BELOW), ...set(TIES));
  c.push(...get(ROW), ...set(P));
  c.push(BLOCK, VOID, LOOP, VOID, ...get(P), ...get(STOP4), I32_GE_U, BR_IF, 1);
  c.push(...get(AB), ...get(P), ...simd(V128_LOAD, 2, 0), ...tee(X4), ...get(TV), ...simd(F32X4_LT), ...simd(I32X4_SUB), ...set(AB));
  c.push(...get(AT), ...get(X4), ...get(TV), ...simd(F32X4_EQ), ...tee(EQ), ...simd(I32X4_SUB), ...set(AT));
  c.push(...get(EQ), ...simd(V128_ANY_TRUE), IF, VOID);
  for (let l = 0; l < 4; l++) tieCheck(4 * l, l);
  c.push(END);
  c.push(...get(P), ...i32c(16), I32_ADD, ...set(P), BR, 0, END, END);
  c.push(BLOCK, VOID, LOOP, VOID, ...get(P), ...get(STOP), I32_GE_U, BR_IF, 1);
  c.push(...get(P), ...mem(F32_LOAD, 2, 0), ...tee(V), ...get(TOP), F32_LT, ...get(BELOW), I32_ADD, ...set(BELOW));
  c.push(...get(V), ...get(TOP), F32_EQ, ...get(TIES), I32_ADD, ...set(TIES));
  c.push(...get(V), ...get(TOP), F32_EQ, IF, VOID);
  tieCheck(0, 0);
  c.push(END);
  c.push(...get(P), ...i32c(4), I32_ADD, ...set(P), BR, 0, END, END);
  // a true lane of a comparison is -1: subtracting masks counts up
  for (let l = 0; l < 4; l++) {
    c.push(...get(BELOW), ...get(AB), ...simd(I32X4_EXTRACT, l), I32_ADD, ...set(BELOW));
    c.push(...get(TIES), ...get(AT), ...simd(I32X4_EXTRACT, l), I32_ADD, ...set(TIES));
  }
  c.push(...get(OUT), ...get(I), ...i32c(4), I32_SHL, I32_ADD, ...set(H));
  c.push(...get(H), ...get(TOP), ...mem(F32_STORE, 2, 0));
  c.push(...get(H), ...get(BELOW), ...mem(I32_STORE, 2, 4));
  c.push(...get(H), ...get(TIES), ...mem(I32_STORE, 2, 8));
  c.push(...get(H), ...get(FT), ...mem(I32_STORE, 2, 12));
  c.push(...get(I), ...i32c(1), I32_ADD, ...set(I));
  c.push(BR, 0, END, END);
  return { name: 'kth', params: 7, locals: [[12, I32], [4, F32], [5, V128]] as [number, number][], code: c };
}

/**
 * count(D, n, i0, i1, lohi, out): for rows i in [i0, i1), how many values are below lo and how
 * many lie in [lo, hi] (lo and hi: two float32 at `lohi`). out[i]: [below, band] (8 bytes).
 */
function countFunction() {
  const DB = 0, N = 1, I0 = 2, I1 = 3, LH = 4, OUT = 5;
  const I = 6, P = 7, STOP = 8, STOP4 = 9, BELOW = 10, BAND = 11, H = 12;
  const LO = 13, HI = 14, V = 15;
  const LO4 = 16, HI4 = 17, X4 = 18, AB = 19, AN = 20;
  const c: number[] = [];
  c.push(...get(LH), ...mem(F32_LOAD, 2, 0), ...tee(LO), ...simd(F32X4_SPLAT), ...set(LO4));
  c.push(...get(LH), ...mem(F32_LOAD, 2, 4), ...tee(HI), ...simd(F32X4_SPLAT), ...set(HI4));
  c.push(...get(I0), ...set(I));
  c.push(BLOCK, VOID, LOOP, VOID);
  c.push(...get(I), ...get(I1), I32_GE_U, BR_IF, 1);
  c.push(...get(DB), ...get(I), ...get(N), I32_MUL, ...i32c(2), I32_SHL, I32_ADD, ...tee(P));
  c.push(...get(N), ...i32c(2), I32_SHL, I32_ADD, ...set(STOP));
  c.push(...get(P), ...get(N), ...i32c(-4), I32_AND, ...i32c(2), I32_SHL, I32_ADD, ...set(STOP4));
  c.push(...simd(V128_CONST, ...new Array(16).fill(0)), ...tee(AB), ...set(AN));
  c.push(...i32c(0), ...tee(BELOW), ...set(BAND));
  c.push(BLOCK, VOID, LOOP, VOID, ...get(P), ...get(STOP4), I32_GE_U, BR_IF, 1);
  c.push(...get(AB), ...get(P), ...simd(V128_LOAD, 2, 0), ...tee(X4), ...get(LO4), ...simd(F32X4_LT), ...simd(I32X4_SUB), ...set(AB));
  c.push(...get(AN), ...get(X4), ...get(LO4), ...simd(F32X4_GE), ...get(X4), ...get(HI4), ...simd(F32X4_LE), ...simd(V128_AND), ...simd(I32X4_SUB), ...set(AN));
  c.push(...get(P), ...i32c(16), I32_ADD, ...set(P), BR, 0, END, END);
  c.push(BLOCK, VOID, LOOP, VOID, ...get(P), ...get(STOP), I32_GE_U, BR_IF, 1);
  c.push(...get(P), ...mem(F32_LOAD, 2, 0), ...tee(V), ...get(LO), F32_LT, ...get(BELOW), I32_ADD, ...set(BELOW));
  c.push(...get(V), ...get(LO), F32_GE, ...get(V), ...get(HI), F32_LE, I32_AND, ...get(BAND), I32_ADD, ...set(BAND));
  c.push(...get(P), ...i32c(4), I32_ADD, ...set(P), BR, 0, END, END);
  for (let l = 0; l < 4; l++) {
    c.push(...get(BELOW), ...get(AB), ...simd(I32X4_EXTRACT, l), I32_ADD, ...set(BELOW));
    c.push(...get(BAND), ...get(AN), ...simd(I32X4_EXTRACT, l), I32_ADD, ...set(BAND));
  }
  c.push(...get(OUT), ...get(I), ...i32c(3), I32_SHL, I32_ADD, ...tee(H), ...get(BELOW), ...mem(I32_STORE, 2, 0));
  c.push(...get(H), ...get(BAND), ...mem(I32_STORE, 2, 4));
  c.push(...get(I), ...i32c(1), I32_ADD, ...set(I));
  c.push(BR, 0, END, END);
  return { name: 'count', params: 6, locals: [[7, I32], [3, F32], [5, V128]] as [number, number][], code: c };
}

interface Kernels {
  dist(i0: number, i1: number, p0: number, p1: number, tail: number, n4: number, xp: number, db: number): void;
  sumsBlock(...a: number[]): void;
  sumsRow(...a: number[]): void;
  addRows(rows: number, count: number, n: number, acc: number): void;
  apply(acc: number, n: number, k8: number, from8: number, to8: number, sums: number): void;
  kth(db: number, n: number, i0: number, i1: number, k: number, heap: number, out: number): void;
  count(db: number, n: number, i0: number, i1: number, lohi: number, out: number): void;
}

const modules = new Map<number, WebAssembly.Module | null>();

function kernelModule(d: number): WebAssembly.Module | null {
  if (modules.has(d)) return modules.get(d)!;
  let m: WebAssembly.Module | null = null;
  try { m = new WebAssembly.Module(memoryModule([distFunction(d), sumsFunction(SUM_ROWS, 'sumsBlock'), sumsFunction(1, 'sumsRow'), addRowsFunction(), applyFunction(), kthFunction(), countFunction()])); } catch { m = null; }
  modules.set(d, m);
  return m;
}

/**
 * rows per call of the scanning kernels: V8 starts WebAssembly in its baseline compiler and
 * switches to optimised code between calls, so one call over all rows would run unoptimised
 */
const ROWS_PER_CALL = 128;
/** side of the square blocks the matrix is filled by: the mirrored writes stay in cache */
const TILE = 64;
const align16 = (v: number) => Math.ceil(v / 16) * 16;
/** the largest matrix: 32-bit byte offsets, with room for the scratch after it */
const MAX_BYTES = 2 ** 31;

export interface DistanceMatrixOptions {
  /** use the JavaScript loops even where WebAssembly SIMD is available (tests) */
  wasm?: boolean;
}

export class DistanceMatrix {
  readonly rows: number;
  /** the rows the distances are of (read by the exact float64 checks; not copied) */
  readonly source: Matrix;
  private readonly memory: WebAssembly.Memory | null;
  private readonly kernels: Kernels | null;
  private view: Float32Array;
  /** byte offset of the scratch region (members, starts, sums) and its size */
  private readonly scratch: number;
  private scratchBytes: number;
  private released = false;

  private constructor(X: Matrix, useWasm: boolean) {
    const n = X.rows, d = X.cols;
    this.rows = n;
    this.source = X;
    const mod = useWasm ? kernelModule(d) : null;
    if (!mod) {
      this.memory = null; this.kernels = null; this.scratch = 0; this.scratchBytes = 0;
      this.view = fillJs(X);
      return;
    }
    const dBytes = align16(n * n * 4), xpBytes = align16(Math.ceil(n / 2) * d * 16);
    // the scratch region reuses the pairs' space once the matrix is filled
    this.scratch = dBytes;
    this.scratchBytes = Math.max(xpBytes, scratchFor(n, 16));
    this.memory = takeMemory(dBytes + this.scratchBytes);
    this.kernels = new WebAssembly.Instance(mod, { env: { mem: this.memory } }).exports as unknown as Kernels;
    const xp = new Float64Array(this.memory.buffer, dBytes, xpBytes / 8);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) xp[((i >> 1) * d + t) * 2 + (i & 1)] = X.data[i * d + t]!;
    const n4 = n * 4, pairs = n >> 1, odd = n & 1;
    for (let ib = 0; ib < n; ib += TILE) {
      const ie = Math.min(n, ib + TILE);
      for (let jb = ib; jb < n; jb += TILE) {
        const je = Math.min(n, jb + TILE);
        this.kernels.dist(ib, ie, jb >> 1, Math.min(pairs, je >> 1), je === n && odd ? 1 : 0, n4, dBytes, 0);
      }
    }
    this.view = new Float32Array(this.memory.buffer, 0, n * n);
  }

  /** The distances of X's rows (n^2 float32: 4 n^2 bytes). */
  static of(X: Matrix, opts: DistanceMatrixOptions = {}): DistanceMatrix {
    if (!Number.isInteger(X.rows) || X.rows < 1) throw new Error(`DistanceMatrix: ${X.rows} rows`);
    // the kernels address the matrix with 32-bit offsets
    if (X.rows * X.rows * 4 > MAX_BYTES) throw new Error(`DistanceMatrix: ${X.rows} rows need ${(X.rows * X.rows * 4 / 2 ** 30).toFixed(1)} GB, more than ${MAX_BYTES / 2 ** 30} GB`);
    return new DistanceMatrix(X, opts.wasm ?? true);
  }

  /**
   * Hands the matrix's memory to the next matrix built (weakly held: the garbage collector may
   * still take it). Filling fresh pages costs about as much as computing the distances, so work
   * that builds one matrix after another (the retail pipeline's two k scans) should release the
   * first. The matrix cannot be used afterwards.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.memory) spare = new WeakRef(this.memory);
  }

  /** n x n row-major float32 distances (both halves; the diagonal is 0) */
  get values(): Float32Array {
    if (this.released) throw new Error('DistanceMatrix: used after release()');
    if (this.memory && this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer, 0, this.rows * this.rows);
    return this.view;
  }

  /** whether the WebAssembly kernels are in use */
  get simd(): boolean { return this.kernels !== null; }

  /**
   * For every row and cluster, the sum of the row's distances to the cluster's members (the row
   * itself included, at distance 0), each in ascending member order, as float64: n x k.
   * Labels must be integers in [0, k).
   */
  clusterSums(labels: Int32Array, k: number): Float64Array {
    const n = this.rows;
    this.live();
    if (labels.length !== n) throw new Error(`clusterSums: ${labels.length} labels for ${n} rows`);
    const counts = new Int32Array(k + 1);
    for (let i = 0; i < n; i++) {
      const l = labels[i]!;
      if (!(l >= 0 && l < k)) throw new Error(`clusterSums: label ${l} at row ${i} is not in [0, ${k})`);
      counts[l + 1]++;
    }
    for (let c = 0; c < k; c++) counts[c + 1] += counts[c]!; // counts is now the start of each cluster
    if (!this.kernels) return sumsJs(this.values, n, labels, k, counts);
    const base = this.ensureScratch(scratchFor(n, k));
    const buf = this.memory!.buffer;
    const members = new Int32Array(buf, base, n), starts = new Int32Array(buf, base + n * 4, k + 1);
    const fill = counts.slice(0, k);
    for (let i = 0; i < n; i++) members[fill[labels[i]!]!++] = i * 4;
    for (let c = 0; c <= k; c++) starts[c] = base + counts[c]! * 4;
    const out = align16(base + n * 4 + (k + 1) * 4);
    const n4 = n * 4, nr = n - (n % SUM_ROWS);
    for (let i0 = 0; i0 < nr; i0 += ROWS_PER_CALL) this.kernels.sumsBlock(0, n4, i0, Math.min(nr, i0 + ROWS_PER_CALL), base, base + n * 4, k, out);
    if (nr < n) this.kernels.sumsRow(0, n4, nr, n, base, base + n * 4, k, out);
    return new Float64Array(buf, out, n * k).slice();
  }

  /**
   * Updates cluster sums (from clusterSums) for rows that changed cluster: row rows[t]'s distances
   * leave cluster from[t] and join cluster to[t] in every row's sums.
   */
  moveRows(sums: Float64Array, k: number, rows: ArrayLike<number>, from: ArrayLike<number>, to: ArrayLike<number>): void {
    const n = this.rows;
    this.live();
    if (sums.length !== n * k) throw new Error(`moveRows: ${sums.length} sums for ${n} x ${k}`);
    if (!this.kernels) { moveJs(this.values, n, sums, k, rows, from, to); return; }
    // rows that move between the same two clusters are added up first (streaming their matrix
    // rows), then moved as one: two updates per row of the sums per pair, not per moved row
    const byPair = new Map<number, number[]>();
    for (let t = 0; t < rows.length; t++) {
      const key = from[t]! * k + to[t]!;
      let list = byPair.get(key);
      if (!list) byPair.set(key, (list = []));
      list.push(rows[t]!);
    }
    const most = Math.max(0, ...[...byPair.values()].map((l) => l.length));
    const sumsAt = align16(n * 8), offAt = sumsAt + align16(n * k * 8);
    const base = this.ensureScratch(offAt + most * 4), buf = this.memory!.buffer;
    const acc = new Float64Array(buf, base, n), w = new Float64Array(buf, base + sumsAt, n * k), offsets = new Int32Array(buf, base + offAt, most);
    w.set(sums);
    for (const [key, list] of byPair) {
      acc.fill(0);
      for (let t = 0; t < list.length; t++) offsets[t] = list[t]! * n * 4;
      this.kernels.addRows(base + offAt, list.length, n, base);
      this.kernels.apply(base, n, k * 8, Math.floor(key / k) * 8, (key % k) * 8, base + sumsAt);
    }
    sums.set(w);
  }

  /** squared float64 distance between rows i and j, as the kd-tree computes it */
  sq(i: number, j: number): number {
    const { data: x, cols: d } = this.source;
    let s = 0;
    for (let t = 0, oi = i * d, oj = j * d; t < d; t++) { const e = x[oj + t]! - x[oi + t]!; s += e * e; }
    return s;
  }

  /** Per row, the squared float64 distance to its k-th nearest row (itself counted). */
  kthNearestSq(k: number): Float64Array {
    const n = this.rows;
    this.live();
    if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`kthNearestSq: k must be an integer in 1..${n}, got ${k}`);
    const out = new Float64Array(n);
    if (!this.kernels) {
      const heap = new Float64Array(k);
      for (let i = 0; i < n; i++) out[i] = this.kthRow(i, k, heap);
      return out;
    }
    const base = this.ensureScratch(align16(k * 4) + n * 16), res = base + align16(k * 4);
    for (let i0 = 0; i0 < n; i0 += ROWS_PER_CALL) this.kernels.kth(0, n, i0, Math.min(n, i0 + ROWS_PER_CALL), k, base, res);
    const buf = this.memory!.buffer, T = new Float32Array(buf, res, 4 * n), u = new Int32Array(buf, res, 4 * n);
    for (let i = 0; i < n; i++) {
      // one row at the k-th float32 value: its float64 distance is the k-th (rounding keeps order)
      out[i] = u[4 * i + 2] === 1 ? this.sq(i, u[4 * i + 3]!) : this.kthAmongTies(i, k, T[4 * i]!, u[4 * i + 1]!, u[4 * i + 3]!);
    }
    return out;
  }

  /** Per row, how many rows lie within distance r (inclusive; itself counted), in float64. */
  countWithin(r: number): Int32Array {
    this.live();
    const n = this.rows, out = new Int32Array(n), b = bounds(r);
    if (!this.kernels) {
      for (let i = 0; i < n; i++) out[i] = this.countRow(i, b);
      return out;
    }
    const base = this.ensureScratch(16 + n * 8), res = base + 16, buf = this.memory!.buffer;
    new Float32Array(buf, base, 2).set([b.lo, b.hi]);
    for (let i0 = 0; i0 < n; i0 += ROWS_PER_CALL) this.kernels.count(0, n, i0, Math.min(n, i0 + ROWS_PER_CALL), base, res);
    const u = new Int32Array(buf, res, 2 * n);
    for (let i = 0; i < n; i++) out[i] = u[2 * i + 1] === 0 ? u[2 * i]! : this.countRow(i, b);
    return out;
  }

  /** A test of "row j lies within distance r of row i" (float64, inclusive). */
  withinTest(r: number): (i: number, j: number) => boolean {
    const n = this.rows, D = this.values, { lo, hi, r2 } = bounds(r);
    return (i, j) => {
      const v = D[i * n + j]!;
      return v < lo || (v <= hi && this.sq(i, j) <= r2);
    };
  }

  /** the k-th float64 distance of row i when several columns hold its k-th float32 value T */
  private kthAmongTies(i: number, k: number, T: number, below: number, first: number): number {
    const n = this.rows, D = this.values, o = i * n, ties: number[] = [];
    for (let j = first; j < n; j++) if (D[o + j] === T) ties.push(this.sq(i, j));
    ties.sort((a, b) => a - b);
    return ties[k - 1 - below]!;
  }

  /** kthNearestSq of one row, in JavaScript */
  private kthRow(i: number, k: number, heap: Float64Array): number {
    const n = this.rows, D = this.values, o = i * n;
    heap.fill(Infinity);
    for (let j = 0; j < n; j++) { const v = D[o + j]!; if (v < heap[0]!) heapReplaceTop(heap, v, k); }
    const T = heap[0]!;
    let below = 0, first = -1, ties = 0;
    for (let j = 0; j < n; j++) {
      const v = D[o + j]!;
      if (v < T) below++;
      else if (v === T) { if (first < 0) first = j; ties++; }
    }
    return ties === 1 ? this.sq(i, first) : this.kthAmongTies(i, k, T, below, first);
  }

  /** countWithin of one row, in JavaScript */
  private countRow(i: number, { lo, hi, r2 }: Bounds): number {
    const n = this.rows, D = this.values, o = i * n;
    let c = 0;
    for (let j = 0; j < n; j++) {
      const v = D[o + j]!;
      if (v < lo || (v <= hi && this.sq(i, j) <= r2)) c++;
    }
    return c;
  }

  private live(): void { if (this.released) throw new Error('DistanceMatrix: used after release()'); }

  /** byte offset of a scratch region of at least `bytes`, growing the memory if needed */
  private ensureScratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      const need = this.scratch + bytes - this.memory!.buffer.byteLength;
      if (need > 0) this.memory!.grow(Math.ceil(need / 65536));
      this.scratchBytes = bytes;
    }
    return this.scratch;
  }
}

/** the memory of the last released matrix */
let spare: WeakRef<WebAssembly.Memory> | null = null;

/** a memory of at least `bytes`: the spare one if it is large enough, else a new one */
function takeMemory(bytes: number): WebAssembly.Memory {
  const m = spare?.deref();
  spare = null;
  if (m && m.buffer.byteLength >= bytes) return m;
  return new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
}

/** bytes of scratch for clusterSums with k clusters: members, starts, sums */
function scratchFor(n: number, k: number): number { return align16(n * 4 + (k + 1) * 4) + n * k * 8; }

interface Bounds { lo: number; hi: number; r2: number }

/**
 * Float32 bounds on a float64 radius r: a float32 distance below lo is surely within r, above hi
 * surely not (rounding to float32 is off by at most 2^-24 relative, and lo, hi sit 2^-19 either
 * side of r); between them the float64 distance decides. Outside the normal float32 range every
 * row is decided in float64.
 */
function bounds(r: number): Bounds {
  if (!(r > 1e-30 && r < 1e30)) return { lo: -Infinity, hi: Infinity, r2: r * r };
  return { lo: Math.fround(r * (1 - 2 ** -19)), hi: Math.fround(r * (1 + 2 ** -19)), r2: r * r };
}


/** The JavaScript fill: the same operations as the kernel, tile by tile. */
function fillJs(X: Matrix): Float32Array {
  const n = X.rows, d = X.cols, x = X.data;
  const D = new Float32Array(n * n);
  for (let ib = 0; ib < n; ib += TILE) {
    const ie = Math.min(n, ib + TILE);
    for (let jb = ib; jb < n; jb += TILE) {
      const je = Math.min(n, jb + TILE);
      for (let i = ib; i < ie; i++) {
        const oi = i * d;
        for (let j = Math.max(jb, i); j < je; j++) {
          const oj = j * d;
          let s = 0;
          for (let t = 0; t < d; t++) { const e = x[oi + t]! - x[oj + t]!; s += e * e; }
          const v = Math.sqrt(s);
          D[i * n + j] = v; D[j * n + i] = v;
        }
      }
    }
  }
  return D;
}

function sumsJs(D: Float32Array, n: number, labels: Int32Array, k: number, starts: Int32Array): Float64Array {
  const members = new Int32Array(n), fill = starts.slice(0, k);
  for (let i = 0; i < n; i++) members[fill[labels[i]!]!++] = i;
  const sums = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = starts[c]!, e = starts[c + 1]!; t < e; t++) s += D[row + members[t]!]!;
      sums[i * k + c] = s;
    }
  }
  return sums;
}

function moveJs(D: Float32Array, n: number, sums: Float64Array, k: number, rows: ArrayLike<number>, from: ArrayLike<number>, to: ArrayLike<number>): void {
  for (let t = 0; t < rows.length; t++) {
    const row = rows[t]! * n, f = from[t]!, g = to[t]!;
    for (let i = 0; i < n; i++) {
      const v = D[row + i]!;
      sums[i * k + f] -= v; sums[i * k + g] += v;
    }
  }
}
