// The Lloyd E-step as WebAssembly SIMD (f64x2), generated for the exact (d, k) like the
// JavaScript kernel in kernels.ts: two centre dot products per instruction, four centre pairs in
// flight at once (independent dependency chains), and a branch-free arg-min. Every dot product
// adds its terms in the same order as the JavaScript kernel (x0*c0 + x1*c1 + ...), so labels,
// sums and inertia are bit for bit the same; only the speed differs. The module imports one
// shared memory (an "arena" holding the rows, labels, centres and per-thread scratch), so the
// Lloyd pool's worker threads instantiate it over the same rows without copying.
//
// Memory layout (byte offsets, all 16-byte aligned):
//   X       n x d float64 rows
//   labels  n int32
//   C2      centres in pairs, dimension-interleaved: pair p, dim j -> [C[2p][j], C[2p+1][j]]
//   CN      ||c||^2 per centre (k, padded to even)
//   scratch per thread slot: sums k x d, counts k, out [inertia, changed] (float64)
import { uleb, sleb, vec, section, name } from '../../util/wasm.ts';
import type { CentreMoves } from './kernels.ts';


const f64bytes = (v: number): number[] => Array.from(new Uint8Array(Float64Array.of(v).buffer));
const i64pair = (a: number, b: number): number[] => Array.from(new Uint8Array(BigInt64Array.of(BigInt(a), BigInt(b)).buffer));

// The generators below run once per (d, k), in V8's interpreter: they append bytes without the
// small arrays LEB128 encoding and spreading would allocate (most immediates are one byte).
function pushU(c: number[], v: number): void { if (v < 128) c.push(v); else for (const b of uleb(v)) c.push(b); }
function pushS(c: number[], v: number): void { if (v >= -64 && v < 64) c.push(v & 0x7f); else for (const b of sleb(v)) c.push(b); }

// opcodes
const LGET = 0x20, LSET = 0x21, LTEE = 0x22, I32C = 0x41, F64C = 0x44;
const I32ADD = 0x6a, I32MUL = 0x6c, I32LTU = 0x49, I32NE = 0x47, I32EQZ = 0x45;
const F64LOAD = 0x2b, F64STORE = 0x39, I32LOAD = 0x28, I32STORE = 0x36;
const F64ADD = 0xa0, F64MUL = 0xa2, F64LT = 0x63, F64GT = 0x64, SELECT = 0x1b;
const SIMD = 0xfd;
const V128LOAD = 0, V128CONST = 12, F64X2SPLAT = 20, F64X2EXTRACT = 33, I64X2EXTRACT = 29, F64X2ADD = 240, F64X2SUB = 241, F64X2MUL = 242;
const F64X2LT = 73, V128BITSELECT = 82, I32WRAP = 0xa7, F64EQ = 0x61, I32LTS = 0x48, I32AND = 0x71, I32OR = 0x72;
const V128STORE = 11;

/** Param layout of the generated function `assign(start, end, X, C2, CN, labels, sums, counts, out)`, all i32. */
const P = { start: 0, end: 1, X: 2, C2: 3, CN: 4, labels: 5, sums: 6, counts: 7, out: 8 };

/** centre pairs whose dot products are computed together (independent chains per row) */
const GROUP = 4;

export function buildAssignModule(d: number, k: number): Uint8Array {
  const pairs = Math.ceil(k / 2);
  // locals after the 9 params: i32 i, rowPtr, best, changed, tmpI, i0, i1;
  // f64 bd, bd1, xn, inertia, tmpF; v128 xs[d], acc[GROUP], t, mask, best distance and index per lane
  const L_I = 9, L_ROW = 10, L_BEST = 11, L_CHANGED = 12, L_TMPI = 13, L_I0 = 14, L_I1 = 15;
  const L_BD = 16, L_BD1 = 17, L_XN = 18, L_INERTIA = 19, L_TMPF = 20;
  const L_X0 = 21, L_ACC = L_X0 + d, L_TV = L_ACC + GROUP, L_MASK = L_TV + 1, L_BDV = L_MASK + 1, L_BIV = L_BDV + 1;
  const locals = [[...uleb(7), 0x7f], [...uleb(5), 0x7c], [...uleb(d + GROUP + 4), 0x7b]];
  const c: number[] = [];
  const get = (l: number) => { c.push(LGET); pushU(c, l); };
  const set = (l: number) => { c.push(LSET); pushU(c, l); };
  const i32 = (v: number) => { c.push(I32C); pushS(c, v); };
  const f64 = (v: number) => c.push(F64C, ...f64bytes(v));
  const simd = (op: number, ...imm: number[]) => { c.push(SIMD); pushU(c, op); for (const b of imm) c.push(b); };
  const mem = (align: number, offset: number) => (offset < 128 ? [align, offset] : [align, ...uleb(offset)]);

  f64(0); set(L_INERTIA);
  i32(0); set(L_CHANGED);
  get(P.start); set(L_I);
  // row pointer = X + start * d * 8
  get(P.X); get(P.start); i32(d * 8); c.push(I32MUL, I32ADD); set(L_ROW);
  c.push(0x02, 0x40); // block
  c.push(0x03, 0x40); // loop
  get(L_I); get(P.end); c.push(I32LTU, I32EQZ, 0x0d, 1); // br_if 1 (exit) when i >= end
  // load x_j, splat, and accumulate ||x||^2
  f64(0); set(L_XN);
  for (let j = 0; j < d; j++) {
    get(L_ROW); c.push(F64LOAD, ...mem(3, j * 8)); c.push(LTEE, ...uleb(L_TMPF));
    simd(F64X2SPLAT); set(L_X0 + j);
    get(L_XN); get(L_TMPF); get(L_TMPF); c.push(F64MUL, F64ADD); set(L_XN);
  }
  // arg-min per lane (even centres in lane 0, odd in lane 1), then across the two lanes
  f64(Infinity); simd(F64X2SPLAT); set(L_BDV);
  simd(V128CONST, ...new Array(16).fill(0)); set(L_BIV);
  for (let p0 = 0; p0 < pairs; p0 += GROUP) {
    const g = Math.min(GROUP, pairs - p0);
    // acc[q] = sum_j splat(x_j) * C2[p0 + q][j], the g chains interleaved per j
    for (let j = 0; j < d; j++) {
      for (let q = 0; q < g; q++) {
        get(L_X0 + j);
        get(P.C2); simd(V128LOAD, ...mem(4, ((p0 + q) * d + j) * 16));
        simd(F64X2MUL);
        if (j > 0) { get(L_ACC + q); simd(F64X2ADD); }
        set(L_ACC + q);
      }
    }
    for (let q = 0; q < g; q++) {
      const pair = p0 + q;
      // t = CN[pair] - 2 * acc (acc + acc is the same exact doubling)
      get(P.CN); simd(V128LOAD, ...mem(4, pair * 16));
      get(L_ACC + q); get(L_ACC + q); simd(F64X2ADD);
      simd(F64X2SUB); set(L_TV);
      // strict <: within a lane the first (lowest) centre index keeps a tie
      get(L_TV); get(L_BDV); simd(F64X2LT); set(L_MASK);
      get(L_TV); get(L_BDV); get(L_MASK); simd(V128BITSELECT); set(L_BDV);
      simd(V128CONST, ...i64pair(2 * pair, 2 * pair + 1)); get(L_BIV); get(L_MASK); simd(V128BITSELECT); set(L_BIV);
    }
  }
  get(L_BDV); simd(F64X2EXTRACT, 0); set(L_BD);
  get(L_BDV); simd(F64X2EXTRACT, 1); set(L_BD1);
  get(L_BIV); simd(I64X2EXTRACT, 0); c.push(I32WRAP); set(L_I0);
  get(L_BIV); simd(I64X2EXTRACT, 1); c.push(I32WRAP); set(L_I1);
  // lane 1 wins when smaller, or equal with a lower index: the global first minimum
  get(L_BD1); get(L_BD); c.push(F64LT);
  get(L_BD1); get(L_BD); c.push(F64EQ); get(L_I1); get(L_I0); c.push(I32LTS, I32AND);
  c.push(I32OR); set(L_TMPI);
  get(L_I1); get(L_I0); get(L_TMPI); c.push(SELECT); set(L_BEST);
  get(L_BD1); get(L_BD); get(L_TMPI); c.push(SELECT); set(L_BD);
  // inertia += max(xn + bd, 0)
  get(L_XN); get(L_BD); c.push(F64ADD); c.push(LTEE, ...uleb(L_TMPF));
  f64(0); get(L_TMPF); f64(0); c.push(F64GT, SELECT);
  get(L_INERTIA); c.push(F64ADD); set(L_INERTIA);
  // sums[best*d + j] += x_j, two dimensions per instruction (each lane the same addition);
  // counts[best] += 1
  get(P.sums); get(L_BEST); i32(d * 8); c.push(I32MUL, I32ADD); set(L_TMPI);
  for (let j = 0; j < d; j += 2) {
    get(L_TMPI);
    if (j + 1 < d) {
      get(L_TMPI); simd(V128LOAD, ...mem(3, j * 8)); get(L_ROW); simd(V128LOAD, ...mem(3, j * 8)); simd(F64X2ADD); simd(V128STORE, ...mem(3, j * 8));
    } else {
      get(L_TMPI); c.push(F64LOAD, ...mem(3, j * 8)); get(L_X0 + j); simd(F64X2EXTRACT, 0); c.push(F64ADD, F64STORE, ...mem(3, j * 8));
    }
  }
  get(P.counts); get(L_BEST); i32(8); c.push(I32MUL, I32ADD); c.push(LTEE, ...uleb(L_TMPI));
  get(L_TMPI); c.push(F64LOAD, ...mem(3, 0)); f64(1); c.push(F64ADD); c.push(F64STORE, ...mem(3, 0));
  // labels[i] != best -> changed++ ; labels[i] = best
  get(P.labels); get(L_I); i32(4); c.push(I32MUL, I32ADD); set(L_TMPI);
  get(L_CHANGED); get(L_TMPI); c.push(I32LOAD, ...mem(2, 0)); get(L_BEST); c.push(I32NE, I32ADD); set(L_CHANGED);
  get(L_TMPI); get(L_BEST); c.push(I32STORE, ...mem(2, 0));
  // next row
  get(L_I); i32(1); c.push(I32ADD); set(L_I);
  get(L_ROW); i32(d * 8); c.push(I32ADD); set(L_ROW);
  c.push(0x0c, 0); // br 0 (loop)
  c.push(0x0b, 0x0b); // end loop, end block
  get(P.out); get(L_INERTIA); c.push(F64STORE, ...mem(3, 0));
  get(P.out); get(L_CHANGED); c.push(0xb7 /* f64.convert_i32_s */); c.push(F64STORE, ...mem(3, 8));
  c.push(0x0b); // end function

  const body = [...vec(locals), ...c];
  const type = section(1, vec([[0x60, ...vec(Array.from({ length: 9 }, () => [0x7f])), ...uleb(0)]]));
  // import env.mem: shared memory (limits flag 3 = shared with max)
  const imp = section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]));
  const func = section(3, vec([uleb(0)]));
  const exp = section(7, vec([[...name('assign'), 0x00, ...uleb(0)]]));
  const code = section(10, vec([[...uleb(body.length), ...body]]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imp, ...func, ...exp, ...code]);
}


/**
 * The Lloyd E-step with Hamerly's bounds (kernels.ts assignRangeBounded) as WebAssembly,
 * generated for (d, k): the bounds of a row are updated by the centres' moves; a row they do not
 * settle gets the exact distance to its centre, and if that does not settle it either, a full
 * scan (scalar: the best and second-best centre) that resets both bounds. Every operation is the
 * JavaScript kernel's in its order, so labels, bounds and sums are the same bits; most rows cost
 * a few comparisons and the sums update instead of k dot products.
 * bounded(start, end, X, C2, CN, labels, upper, lower, geo, first, sums, counts, out), all i32;
 * geo: move (k float64), half (k), then the largest move, the second largest, and the centre
 * with the largest (as a float64); out: [changed, scanned] as float64.
 */
export function buildBoundedModule(d: number, k: number): Uint8Array {
  const pairs = Math.ceil(k / 2);
  const Q = { start: 0, end: 1, X: 2, C2: 3, CN: 4, labels: 5, upper: 6, lower: 7, geo: 8, first: 9, sums: 10, counts: 11, out: 12 };
  const I = 13, ROW = 14, A = 15, SCAN = 16, BEST = 17, CHANGED = 18, SCANNED = 19, TMPI = 20, M1C = 21, I0 = 22, I1 = 23, W1 = 24;
  const U = 25, L = 26, Z = 27, S = 28, E = 29, XN = 30, BD = 31, SD = 32, BD1 = 33, SD1 = 34, M1 = 35, M2 = 36, XS = 37;
  const XV = XS + d, ACC = XV + d, TV = ACC + GROUP, MASK = TV + 1, BDV = TV + 2, SDV = TV + 3, BIV = TV + 4;
  const locals = [[...uleb(12), 0x7f], [...uleb(12 + d), 0x7c], [...uleb(d + GROUP + 5), 0x7b]];
  const c: number[] = [];
  const get = (l: number) => { c.push(LGET); pushU(c, l); };
  const set = (l: number) => { c.push(LSET); pushU(c, l); };
  const tee = (l: number) => { c.push(LTEE); pushU(c, l); };
  const i32 = (v: number) => { c.push(I32C); pushS(c, v); };
  const f64 = (v: number) => c.push(F64C, ...f64bytes(v));
  const simd = (op: number, ...imm: number[]) => { c.push(SIMD); pushU(c, op); for (const b of imm) c.push(b); };
  const mem = (align: number, offset: number) => (offset < 128 ? [align, offset] : [align, ...uleb(offset)]);
  const IF = 0x04, END = 0x0b, VOID = 0x40, F64SQRT = 0x9f, F64SUB = 0xa1, I32EQ = 0x46, I32SHRU = 0x76, I32TRUNC = 0xaa, F64X2PMIN = 246;
  // the largest and second largest move, and whose the largest is
  get(Q.geo); c.push(F64LOAD, ...mem(3, 2 * k * 8)); set(M1);
  get(Q.geo); c.push(F64LOAD, ...mem(3, (2 * k + 1) * 8)); set(M2);
  get(Q.geo); c.push(F64LOAD, ...mem(3, (2 * k + 2) * 8), I32TRUNC); set(M1C);
  i32(0); set(CHANGED); i32(0); set(SCANNED);
  get(Q.start); set(I);
  get(Q.X); get(Q.start); i32(d * 8); c.push(I32MUL, I32ADD); set(ROW);
  c.push(0x02, 0x40, 0x03, 0x40);
  get(I); get(Q.end); c.push(I32LTU, I32EQZ, 0x0d, 1);
  for (let j = 0; j < d; j++) { get(ROW); c.push(F64LOAD, ...mem(3, j * 8)); set(XS + j); }
  get(Q.labels); get(I); i32(4); c.push(I32MUL, I32ADD, I32LOAD, ...mem(2, 0)); set(A);
  get(Q.first); set(SCAN);
  get(Q.first); c.push(I32EQZ, IF, VOID);
  {
    // u = upper[i] + move[a]; l = lower[i] - (a === m1c ? m2 : m1)
    get(Q.upper); get(I); i32(8); c.push(I32MUL, I32ADD); set(TMPI);
    get(TMPI); c.push(F64LOAD, ...mem(3, 0)); get(Q.geo); get(A); i32(8); c.push(I32MUL, I32ADD, F64LOAD, ...mem(3, 0), F64ADD); set(U);
    get(TMPI); get(U); c.push(F64STORE, ...mem(3, 0));
    get(Q.lower); get(I); i32(8); c.push(I32MUL, I32ADD); set(TMPI);
    get(TMPI); c.push(F64LOAD, ...mem(3, 0)); get(M2); get(M1); get(A); get(M1C); c.push(I32EQ, SELECT, F64SUB); set(L);
    get(TMPI); get(L); c.push(F64STORE, ...mem(3, 0));
    // z = l > half[a] ? l : half[a]
    get(L); get(Q.geo); get(A); i32(8); c.push(I32MUL, I32ADD, F64LOAD, ...mem(3, k * 8)); tee(Z);
    get(L); get(Z); c.push(F64GT, SELECT); set(Z);
    get(U); get(Z); c.push(F64GT, IF, VOID);
    {
      // the exact distance to the own centre tightens the upper bound:
      // C2 + (a >> 1) * d * 16 + (a & 1) * 8 is its first coordinate
      get(Q.C2); get(A); i32(1); c.push(I32SHRU); i32(d * 16); c.push(I32MUL, I32ADD);
      get(A); i32(1); c.push(I32AND); i32(8); c.push(I32MUL, I32ADD); set(TMPI);
      for (let j = 0; j < d; j++) {
        get(XS + j); get(TMPI); c.push(F64LOAD, ...mem(3, j * 16), F64SUB); tee(E); get(E); c.push(F64MUL);
        if (j > 0) { get(S); c.push(F64ADD); }
        set(S);
      }
      get(S); c.push(F64SQRT); set(U);
      get(Q.upper); get(I); i32(8); c.push(I32MUL, I32ADD); get(U); c.push(F64STORE, ...mem(3, 0));
      get(U); get(Z); c.push(F64GT); set(SCAN);
    }
    c.push(END);
  }
  c.push(END);
  get(SCAN); c.push(IF, VOID);
  {
    get(SCANNED); i32(1); c.push(I32ADD); set(SCANNED);
    for (let j = 0; j < d; j++) {
      get(XS + j); get(XS + j); c.push(F64MUL);
      if (j > 0) c.push(F64ADD);
    }
    set(XN);
    // every centre's t = cn - 2 x.c, two centres per instruction as in the plain kernel; per lane
    // the best (first on ties) and the second best (the smallest other value), then across lanes
    for (let j = 0; j < d; j++) { get(XS + j); simd(F64X2SPLAT); set(XV + j); }
    f64(Infinity); simd(F64X2SPLAT); tee(BDV); set(SDV);
    simd(V128CONST, ...new Array(16).fill(0)); set(BIV);
    for (let p0 = 0; p0 < pairs; p0 += GROUP) {
      const g = Math.min(GROUP, pairs - p0);
      for (let j = 0; j < d; j++) {
        for (let q = 0; q < g; q++) {
          get(XV + j); get(Q.C2); simd(V128LOAD, ...mem(4, ((p0 + q) * d + j) * 16)); simd(F64X2MUL);
          if (j > 0) { get(ACC + q); simd(F64X2ADD); }
          set(ACC + q);
        }
      }
      for (let q = 0; q < g; q++) {
        const pair = p0 + q;
        get(Q.CN); simd(V128LOAD, ...mem(4, pair * 16)); get(ACC + q); get(ACC + q); simd(F64X2ADD); simd(F64X2SUB); set(TV);
        get(TV); get(BDV); simd(F64X2LT); set(MASK);
        // t < bd: the best becomes the second; else the second is min(second, t)
        get(BDV); get(SDV); get(TV); simd(F64X2PMIN); get(MASK); simd(V128BITSELECT); set(SDV);
        get(TV); get(BDV); get(MASK); simd(V128BITSELECT); set(BDV);
        simd(V128CONST, ...i64pair(2 * pair, 2 * pair + 1)); get(BIV); get(MASK); simd(V128BITSELECT); set(BIV);
      }
    }
    get(BDV); simd(F64X2EXTRACT, 0); set(BD);
    get(BDV); simd(F64X2EXTRACT, 1); set(BD1);
    get(SDV); simd(F64X2EXTRACT, 0); set(SD);
    get(SDV); simd(F64X2EXTRACT, 1); set(SD1);
    get(BIV); simd(I64X2EXTRACT, 0); c.push(I32WRAP); set(I0);
    get(BIV); simd(I64X2EXTRACT, 1); c.push(I32WRAP); set(I1);
    // lane 1 wins when smaller, or equal with a lower index; the second best overall is the
    // smaller of the winner's second and the loser's best
    get(BD1); get(BD); c.push(F64LT);
    get(BD1); get(BD); c.push(F64EQ); get(I1); get(I0); c.push(I32LTS, I32AND);
    c.push(I32OR); set(W1);
    get(I1); get(I0); get(W1); c.push(SELECT); set(BEST);
    // sd := W1 ? min(sd1, bd0) : min(sd0, bd1), with min(a, b) = b < a ? b : a
    get(BD); get(SD1); get(BD); get(SD1); c.push(F64LT, SELECT);
    get(BD1); get(SD); get(BD1); get(SD); c.push(F64LT, SELECT);
    get(W1); c.push(SELECT); set(SD);
    get(BD1); get(BD); get(W1); c.push(SELECT); set(BD);
    // upper = sqrt(xn + bd), lower = sqrt(xn + sd), 0 when rounding made them negative
    get(Q.upper); get(I); i32(8); c.push(I32MUL, I32ADD);
    get(XN); get(BD); c.push(F64ADD); tee(E); c.push(F64SQRT); f64(0); get(E); f64(0); c.push(F64GT, SELECT, F64STORE, ...mem(3, 0));
    get(Q.lower); get(I); i32(8); c.push(I32MUL, I32ADD);
    get(XN); get(SD); c.push(F64ADD); tee(E); c.push(F64SQRT); f64(0); get(E); f64(0); c.push(F64GT, SELECT, F64STORE, ...mem(3, 0));
    get(BEST); get(A); c.push(I32NE, IF, VOID);
    get(BEST); set(A); get(CHANGED); i32(1); c.push(I32ADD); set(CHANGED);
    get(Q.labels); get(I); i32(4); c.push(I32MUL, I32ADD); get(BEST); c.push(I32STORE, ...mem(2, 0));
    c.push(END);
  }
  c.push(END);
  // sums[a*d + j] += x_j, two dimensions per instruction (each lane the same addition); counts[a] += 1
  get(Q.sums); get(A); i32(d * 8); c.push(I32MUL, I32ADD); set(TMPI);
  for (let j = 0; j < d; j += 2) {
    get(TMPI);
    if (j + 1 < d) {
      get(TMPI); simd(V128LOAD, ...mem(3, j * 8)); get(ROW); simd(V128LOAD, ...mem(3, j * 8)); simd(F64X2ADD); simd(V128STORE, ...mem(3, j * 8));
    } else {
      get(TMPI); c.push(F64LOAD, ...mem(3, j * 8)); get(XS + j); c.push(F64ADD, F64STORE, ...mem(3, j * 8));
    }
  }
  get(Q.counts); get(A); i32(8); c.push(I32MUL, I32ADD); tee(TMPI); get(TMPI); c.push(F64LOAD, ...mem(3, 0)); f64(1); c.push(F64ADD, F64STORE, ...mem(3, 0));
  get(I); i32(1); c.push(I32ADD); set(I);
  get(ROW); i32(d * 8); c.push(I32ADD); set(ROW);
  c.push(0x0c, 0, 0x0b, 0x0b);
  get(Q.out); get(CHANGED); c.push(0xb7, F64STORE, ...mem(3, 0));
  get(Q.out); get(SCANNED); c.push(0xb7, F64STORE, ...mem(3, 8));
  c.push(0x0b);
  const body = [...vec(locals), ...c];
  const type = section(1, vec([[0x60, ...vec(Array.from({ length: 13 }, () => [0x7f])), ...uleb(0)]]));
  const imp = section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]));
  const func = section(3, vec([uleb(0)]));
  const exp = section(7, vec([[...name('bounded'), 0x00, ...uleb(0)]]));
  const code = section(10, vec([[...uleb(body.length), ...body]]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imp, ...func, ...exp, ...code]);
}

/**
 * k-means++ candidate scoring as WebAssembly SIMD, generated for (d, m candidates): per row,
 * s_t = sum_j (x_j - cand_t[j])^2 for two candidates per instruction, v_t = min(closest, s_t)
 * (f64x2.pmin is exactly "s < cl ? s : cl"), outs_t[i] = v_t and pots[t] += v_t, in the same
 * order of operations as the JavaScript kernel (multiCandidateKernel), so the same values.
 * Params: start, end, X, CP (candidates in pairs, dimension-interleaved), closest, pots, outs_0..outs_{m-1}.
 */
export function buildSeedModule(d: number, m: number): Uint8Array {
  const pairs = Math.ceil(m / 2);
  const nParams = 6 + m;
  const Q = { start: 0, end: 1, X: 2, CP: 3, closest: 4, pots: 5, outs: 6 };
  // locals: i32 i, row, off; v128 xs[d], acc[pairs], pot[pairs], cl, e
  const L_I = nParams, L_ROW = nParams + 1, L_OFF = nParams + 2;
  const L_X0 = nParams + 3, L_ACC = L_X0 + d, L_POT = L_ACC + pairs, L_CL = L_POT + pairs, L_E = L_CL + 1;
  const locals = [[...uleb(3), 0x7f], [...uleb(d + 2 * pairs + 2), 0x7b]];
  const c: number[] = [];
  const get = (l: number) => { c.push(LGET); pushU(c, l); };
  const set = (l: number) => { c.push(LSET); pushU(c, l); };
  const i32 = (v: number) => { c.push(I32C); pushS(c, v); };
  const simd = (op: number, ...imm: number[]) => { c.push(SIMD); pushU(c, op); for (const b of imm) c.push(b); };
  const mem = (align: number, offset: number) => (offset < 128 ? [align, offset] : [align, ...uleb(offset)]);
  const F64X2PMIN = 246;
  for (let p = 0; p < pairs; p++) { simd(V128CONST, ...new Array(16).fill(0)); set(L_POT + p); }
  get(Q.start); set(L_I);
  get(Q.start); i32(8); c.push(I32MUL); set(L_OFF);
  get(Q.X); get(Q.start); i32(d * 8); c.push(I32MUL, I32ADD); set(L_ROW);
  c.push(0x02, 0x40, 0x03, 0x40); // block, loop
  get(L_I); get(Q.end); c.push(I32LTU, I32EQZ, 0x0d, 1);
  for (let j = 0; j < d; j++) { get(L_ROW); c.push(F64LOAD, ...mem(3, j * 8)); simd(F64X2SPLAT); set(L_X0 + j); }
  get(Q.closest); get(L_OFF); c.push(I32ADD, F64LOAD, ...mem(3, 0)); simd(F64X2SPLAT); set(L_CL);
  for (let j = 0; j < d; j++) {
    for (let p = 0; p < pairs; p++) {
      get(L_X0 + j); get(Q.CP); simd(V128LOAD, ...mem(4, (p * d + j) * 16)); simd(F64X2SUB); set(L_E);
      get(L_E); get(L_E); simd(F64X2MUL);
      if (j > 0) { get(L_ACC + p); simd(F64X2ADD); }
      set(L_ACC + p);
    }
  }
  for (let p = 0; p < pairs; p++) {
    get(L_CL); get(L_ACC + p); simd(F64X2PMIN); set(L_E);
    get(L_POT + p); get(L_E); simd(F64X2ADD); set(L_POT + p);
    for (let lane = 0; lane < 2; lane++) {
      const t = 2 * p + lane;
      if (t >= m) break;
      get(Q.outs + t); get(L_OFF); c.push(I32ADD);
      get(L_E); simd(F64X2EXTRACT, lane);
      c.push(F64STORE, ...mem(3, 0));
    }
  }
  get(L_I); i32(1); c.push(I32ADD); set(L_I);
  get(L_OFF); i32(8); c.push(I32ADD); set(L_OFF);
  get(L_ROW); i32(d * 8); c.push(I32ADD); set(L_ROW);
  c.push(0x0c, 0, 0x0b, 0x0b); // br loop; end loop; end block
  for (let p = 0; p < pairs; p++) { get(Q.pots); get(L_POT + p); simd(V128STORE, ...mem(4, p * 16)); }
  c.push(0x0b);
  const body = [...vec(locals), ...c];
  const type = section(1, vec([[0x60, ...vec(Array.from({ length: nParams }, () => [0x7f])), ...uleb(0)]]));
  const imp = section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]));
  const func = section(3, vec([uleb(0)]));
  const exp = section(7, vec([[...name('seed'), 0x00, ...uleb(0)]]));
  const code = section(10, vec([[...uleb(body.length), ...body]]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imp, ...func, ...exp, ...code]);
}

export type WasmAssign = (start: number, end: number, X: number, C2: number, CN: number, labels: number, sums: number, counts: number, out: number) => void;

const modules = new Map<string, WebAssembly.Module | null>();

function compiled(key: string, build: () => Uint8Array): WebAssembly.Module | null {
  if (modules.has(key)) return modules.get(key)!;
  let m: WebAssembly.Module | null = null;
  try { m = new WebAssembly.Module(build()); } catch { m = null; }
  modules.set(key, m);
  return m;
}

/** The compiled E-step module for (d, k), or null where WebAssembly SIMD is unavailable. */
export function assignModule(d: number, k: number): WebAssembly.Module | null {
  return compiled(`a${d},${k}`, () => buildAssignModule(d, k));
}

/** The compiled bounded E-step module for (d, k), or null. */
export function boundedModule(d: number, k: number): WebAssembly.Module | null {
  return compiled(`b${d},${k}`, () => buildBoundedModule(d, k));
}

/** The compiled k-means++ candidate module for (d, m candidates), or null. */
export function seedModule(d: number, m: number): WebAssembly.Module | null {
  return compiled(`s${d},${m}`, () => buildSeedModule(d, m));
}

/** Byte offsets of an arena's regions (see the layout at the top). */
export interface ArenaLayout {
  id: number; n: number; d: number; k: number;
  X: number; labels: number; C2: number; CN: number;
  /** k-means++: closest[] and one buffer per candidate (n float64 each), or -1 when absent */
  seed: number; seedCands: number;
  /** Hamerly's bounds: upper and lower (n float64 each), then the centre geometry (2k + 3 float64), or -1 */
  bounds: number;
  scratch: number; scratchStride: number; slots: number;
}

/** What a Lloyd job carries to use the arena: the shared memory and its layout. */
export interface WasmJob { memory: WebAssembly.Memory; layout: ArenaLayout }

const align16 = (v: number) => Math.ceil(v / 16) * 16;
/** the arena create() hands out again for the same shape, if at most REUSE_MAX_BYTES */
let lastArena: WasmArena | null = null;
const REUSE_MAX_BYTES = 64 * 2 ** 20;
let nextId = 1;
/** above this the byte offsets would leave the signed 32-bit range the generated code uses */
const MAX_BYTES = 2 ** 31 - 1;
/** the unrolled module grows with d * k; beyond this the JavaScript kernel is used */
export const WASM_MAX_DK = 4096;

/**
 * A shared WebAssembly memory holding X (copied in), the labels and per-thread scratch for a
 * (d, k) fit, or null when WebAssembly SIMD is unavailable or the data are too large for it.
 */
export class WasmArena {
  readonly X: Float64Array;
  readonly labels: Int32Array;
  readonly job: WasmJob;
  private readonly c2: Float64Array;
  private readonly cn: Float64Array;

  private constructor(readonly memory: WebAssembly.Memory, readonly layout: ArenaLayout) {
    const buf = memory.buffer as SharedArrayBuffer;
    const { n, d, k } = layout, pairs = Math.ceil(k / 2);
    this.X = new Float64Array(buf, layout.X, n * d);
    this.labels = new Int32Array(buf, layout.labels, n);
    this.c2 = new Float64Array(buf, layout.C2, pairs * d * 2);
    this.cn = new Float64Array(buf, layout.CN, pairs * 2);
    this.job = { memory, layout };
    this.upper = layout.bounds >= 0 ? new Float64Array(buf, layout.bounds, n) : null;
    this.lower = layout.bounds >= 0 ? new Float64Array(buf, layout.bounds + n * 8, n) : null;
    this.geo = layout.bounds >= 0 ? new Float64Array(buf, layout.bounds + 2 * n * 8, 2 * k + 3) : null;
  }

  /** Hamerly's upper and lower bounds in the arena (the bounded kernel keeps them there), or null */
  readonly upper: Float64Array | null;
  readonly lower: Float64Array | null;
  private readonly geo: Float64Array | null;

  /** Writes the centres' moves and half-distances for the bounded kernel (before its pass). */
  setGeometry(g: CentreMoves): void {
    const { k } = this.layout, geo = this.geo!;
    geo.set(g.move, 0); geo.set(g.half, k);
    // the largest and second largest move, and whose the largest is (as the JavaScript kernel finds them)
    let m1 = 0, m1c = -1, m2 = 0;
    for (let c = 0; c < k; c++) {
      const m = g.move[c]!;
      if (m > m1) { m2 = m1; m1 = m; m1c = c; } else if (m > m2) m2 = m;
    }
    geo[2 * k] = m1; geo[2 * k + 1] = m2; geo[2 * k + 2] = m1c;
  }

  /**
   * seedCands: k-means++ candidates per step, to also hold its buffers (0 = none). An arena is
   * valid until the next create() on the same thread: one of the same shape is reused (the rows
   * copied in again), since a k scan fits the same rows dozens of times and a new shared memory,
   * its first touches and the instances over it cost about as much as a fit of a few thousand rows.
   */
  static create(data: Float64Array, n: number, d: number, k: number, slots: number, seedCands = 0): WasmArena | null {
    const last = lastArena?.layout;
    if (last && last.n === n && last.d === d && last.k === k && last.slots === slots && last.seedCands === seedCands && (seedCands === 0 || last.seed >= 0)) {
      lastArena!.X.set(data.subarray(0, n * d));
      return lastArena;
    }
    if (d * k > WASM_MAX_DK || !assignModule(d, k)) return null;
    const pairs = Math.ceil(k / 2), mPairs = Math.ceil(seedCands / 2);
    const X = 0, labels = align16(n * d * 8), C2 = align16(labels + n * 4), CN = align16(C2 + pairs * d * 16);
    let seed = align16(CN + pairs * 16);
    const seedBytes = seedCands > 0 && seedModule(d, seedCands) ? (seedCands + 1) * n * 8 : 0;
    let bounds = align16(seed + seedBytes);
    const boundsBytes = boundedModule(d, k) ? (2 * n + 2 * k + 3) * 8 : 0;
    const scratch = align16(bounds + boundsBytes);
    if (!seedBytes) seed = -1;
    if (!boundsBytes) bounds = -1;
    const scratchStride = align16(Math.max(k * d + k + 2, mPairs * d * 2 + mPairs * 2) * 8);
    let total = scratch + slots * scratchStride;
    if (total > MAX_BYTES && seedBytes) return WasmArena.create(data, n, d, k, slots, 0);
    if (total > MAX_BYTES) return null;
    total = Math.max(total, 1);
    const pages = Math.max(1, Math.ceil(total / 65536));
    let memory: WebAssembly.Memory;
    try { memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }); } catch { return null; }
    const a = new WasmArena(memory, { id: nextId++, n, d, k, X, labels: labels, C2, CN, seed, seedCands: seed >= 0 ? seedCands : 0, bounds, scratch, scratchStride, slots });
    a.X.set(data.subarray(0, n * d));
    lastArena = total <= REUSE_MAX_BYTES ? a : null;
    return a;
  }

  /** k-means++'s closest[] and per-candidate buffers inside the arena (the SIMD pass reads and
   *  writes them there), or null when the arena has none */
  seedBuffers(): Float64Array[] | null {
    const L = this.layout;
    if (L.seed < 0) return null;
    return Array.from({ length: L.seedCands + 1 }, (_, t) => new Float64Array(this.memory.buffer as SharedArrayBuffer, L.seed + t * L.n * 8, L.n));
  }

  /** Writes the centres in the pair-interleaved layout the kernel reads, and their squared norms. */
  setCenters(C: Float64Array): void {
    const { d, k } = this.layout, pairs = Math.ceil(k / 2);
    for (let p = 0; p < pairs; p++) for (let j = 0; j < d; j++) for (let l = 0; l < 2; l++) {
      const c = 2 * p + l;
      this.c2[(p * d + j) * 2 + l] = c < k ? C[c * d + j]! : 0;
    }
    // a padding centre (odd k) must never win the lane-wise arg-min
    this.cn.fill(Infinity);
    // the same summation order as the JavaScript kernel's centre norms
    for (let c = 0; c < k; c++) { let s = 0; for (let j = 0; j < d; j++) { const v = C[c * d + j]!; s += v * v; } this.cn[c] = s; }
  }
}

// per thread: the instance over the arena last seen (jobs of one fit share it)
let cached: { id: number; assign: WasmAssign; f64: Float64Array } | null = null;

/**
 * The E-step of rows [start, end) on the arena, with this thread's scratch slot: writes labels
 * in the arena and the block's sums (k x d), counts (k), inertia and changed count into `res`
 * (the layout of a Lloyd result block).
 */
export function wasmAssignBlock(w: WasmJob, slot: number, start: number, end: number, res: Float64Array): void {
  const L = w.layout;
  if (!cached || cached.id !== L.id) {
    const inst = new WebAssembly.Instance(assignModule(L.d, L.k)!, { env: { mem: w.memory } });
    cached = { id: L.id, assign: inst.exports.assign as WasmAssign, f64: new Float64Array(w.memory.buffer as SharedArrayBuffer) };
  }
  const kd = L.k * L.d, base = L.scratch + slot * L.scratchStride;
  const sums = base, counts = base + kd * 8, out = counts + L.k * 8;
  const f = cached.f64, o = base / 8;
  f.fill(0, o, o + kd + L.k + 2);
  cached.assign(start, end, L.X, L.C2, L.CN, L.labels, sums, counts, out);
  res.set(f.subarray(o, o + kd + L.k + 2));
}

type WasmBounded = (...args: number[]) => void;
let boundedCached: { id: number; bounded: WasmBounded; f64: Float64Array } | null = null;

/**
 * The bounded E-step of rows [start, end) on the arena (its upper, lower and geometry, written by
 * setGeometry), with this thread's scratch slot: labels in the arena; the block's sums, counts,
 * then rows scanned and labels changed into `res` (the layout of a bounded Lloyd result block).
 */
export function wasmBoundedBlock(w: WasmJob, slot: number, start: number, end: number, first: boolean, res: Float64Array): void {
  const L = w.layout;
  if (!boundedCached || boundedCached.id !== L.id) {
    const inst = new WebAssembly.Instance(boundedModule(L.d, L.k)!, { env: { mem: w.memory } });
    boundedCached = { id: L.id, bounded: inst.exports.bounded as WasmBounded, f64: new Float64Array(w.memory.buffer as SharedArrayBuffer) };
  }
  const kd = L.k * L.d, base = L.scratch + slot * L.scratchStride;
  const sums = base, counts = base + kd * 8, out = counts + L.k * 8;
  const f = boundedCached.f64, o = base / 8;
  f.fill(0, o, o + kd + L.k + 2);
  boundedCached.bounded(start, end, L.X, L.C2, L.CN, L.labels, L.bounds, L.bounds + L.n * 8, L.bounds + 2 * L.n * 8, first ? 1 : 0, sums, counts, out);
  res.set(f.subarray(o, o + kd + L.k));
  res[kd + L.k] = f[o + kd + L.k + 1]!; // scanned
  res[kd + L.k + 1] = f[o + kd + L.k]!; // changed
}

type WasmSeed = (...args: number[]) => void;
let seedCached: { key: string; seed: WasmSeed; f64: Float64Array } | null = null;

/**
 * One k-means++ candidate pass over rows [start, end) with the SIMD kernel: closest and outs
 * must be the arena's seedBuffers(). res[1 + t] receives candidate t's potential over the block;
 * res[0] (the sum of closest, used only by commit passes) is not computed here and is NaN.
 */
export function wasmSeedBlock(w: WasmJob, slot: number, start: number, end: number, closest: Float64Array, cands: Float64Array, m: number, outs: Float64Array[], res: Float64Array): void {
  const L = w.layout, d = L.d, mPairs = Math.ceil(m / 2);
  const key = `${L.id},${m}`;
  if (!seedCached || seedCached.key !== key) {
    const inst = new WebAssembly.Instance(seedModule(d, m)!, { env: { mem: w.memory } });
    seedCached = { key, seed: inst.exports.seed as WasmSeed, f64: new Float64Array(w.memory.buffer as SharedArrayBuffer) };
  }
  const f = seedCached.f64, base = L.scratch + slot * L.scratchStride, o = base / 8;
  // candidates pair-interleaved in this thread's scratch (a padding lane stays 0: never stored)
  for (let p = 0; p < mPairs; p++) for (let j = 0; j < d; j++) for (let l = 0; l < 2; l++) {
    const t = 2 * p + l;
    f[o + (p * d + j) * 2 + l] = t < m ? cands[t * d + j]! : 0;
  }
  const pots = base + mPairs * d * 16;
  seedCached.seed(start, end, L.X, base, closest.byteOffset, pots, ...outs.map((b) => b.byteOffset));
  res[0] = NaN;
  for (let t = 0; t < m; t++) res[1 + t] = f[pots / 8 + t]!;
}
