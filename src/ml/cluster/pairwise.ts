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
import { KernelCache, ModuleBuilder, instantiate, type FunctionBuilder, type Local } from '../../util/wasm.ts';
import { heapReplaceTop } from './kdtree.ts';

/** column pairs whose distances to one row are computed together (independent dependency chains) */
const GROUP = 2;

type P<K extends string> = Record<K, Local>;

/**
 * dist(i0, i1, p0, p1, tail, n4, XP, D): for rows i in [i0, i1), the distances to the columns of
 * pairs p in [max(p0, i >> 1), p1) (columns 2p, 2p+1), written to D[i][j] and D[j][i]; with
 * `tail`, also column 2 * p1 alone (the odd last column). XP holds the rows in pairs,
 * dimension-interleaved: pair p, dim t -> [x(2p, t), x(2p+1, t)].
 */
function distBody(f: FunctionBuilder, a: P<'i0' | 'i1' | 'p0' | 'p1' | 'tail' | 'n4' | 'xp' | 'db'>, d: number): void {
  const i = f.local('i32', 'i'), ra = f.local('i32', 'rowAt'), p = f.local('i32', 'pair'), qx = f.local('i32', 'pairAt');
  const dr = f.local('i32', 'rowOut'), dc = f.local('i32', 'colOut'), tmp = f.local('i32', 'tmp'), n8 = f.local('i32', 'n8');
  const xs = f.locals('v128', d, 'x'), acc = f.locals('v128', GROUP, 'acc'), e = f.local('v128', 'e'), v = f.local('v128', 'v');
  /** the distances of row i to g pairs of columns (or, tailOnly, to the last column alone) */
  const pairs = (g: number, tailOnly: boolean) => {
    for (let t = 0; t < d; t++) {
      for (let q = 0; q < g; q++) {
        f.get(xs[t]!).get(qx).mem('v128.load', (q * d + t) * 16).op('f64x2.sub').tee(e).get(e).op('f64x2.mul');
        if (t > 0) f.get(acc[q]!).op('f64x2.add');
        f.set(acc[q]!);
      }
    }
    f.get(dc).set(tmp);
    for (let q = 0; q < g; q++) {
      f.get(acc[q]!).op('f64x2.sqrt', 'f32x4.demote_f64x2_zero').set(v);
      if (tailOnly) {
        f.get(dr).get(v).lane('f32x4.extract_lane', 0).mem('f32.store');
        f.get(tmp).get(v).lane('f32x4.extract_lane', 0).mem('f32.store');
        continue;
      }
      f.comment('row i: both columns at once; columns 2p and 2p+1: one value each (the mirrored half)');
      f.get(dr).get(v).storeLane('v128.store64_lane', 0, q * 8, 4);
      f.get(tmp).get(v).lane('f32x4.extract_lane', 0).mem('f32.store');
      f.get(tmp).get(a.n4).op('i32.add').get(v).lane('f32x4.extract_lane', 1).mem('f32.store');
      f.get(tmp).get(n8).op('i32.add').set(tmp);
    }
  };
  const advance = (g: number) => {
    f.get(p).i32(g).op('i32.add').set(p);
    f.get(qx).i32(g * d * 16).op('i32.add').set(qx);
    f.get(dr).i32(g * 8).op('i32.add').set(dr);
    f.get(dc).get(n8).i32(g).op('i32.mul', 'i32.add').set(dc);
  };
  f.get(a.n4).i32(1).op('i32.shl').set(n8);
  f.get(a.i0).set(i);
  f.block((rowsDone) => f.loop((nextRow) => {
    f.get(i).get(a.i1).op('i32.ge_u').brIf(rowsDone);
    f.comment("row i's values, splat: rowAt = XP + (i >> 1) * d * 16 + (i & 1) * 8");
    f.get(a.xp).get(i).i32(1).op('i32.shr_u').i32(d * 16).op('i32.mul', 'i32.add').get(i).i32(1).op('i32.and').i32(3).op('i32.shl', 'i32.add').set(ra);
    for (let t = 0; t < d; t++) f.get(ra).mem('f64.load', t * 16).op('f64x2.splat').set(xs[t]!);
    f.comment('pair = max(p0, i >> 1)');
    f.get(a.p0).get(i).i32(1).op('i32.shr_u').tee(tmp).get(a.p0).get(tmp).op('i32.gt_u', 'select').set(p);
    f.get(a.xp).get(p).i32(d * 16).op('i32.mul', 'i32.add').set(qx);
    f.get(a.db).get(i).get(a.n4).op('i32.mul', 'i32.add').get(p).i32(3).op('i32.shl', 'i32.add').set(dr);
    f.get(a.db).get(p).get(n8).op('i32.mul', 'i32.add').get(i).i32(2).op('i32.shl', 'i32.add').set(dc);
    f.block((groupsDone) => f.loop((nextGroup) => {
      f.get(p).i32(GROUP).op('i32.add').get(a.p1).op('i32.gt_u').brIf(groupsDone);
      pairs(GROUP, false);
      advance(GROUP);
      f.br(nextGroup);
    }));
    f.block((pairsDone) => f.loop((nextPair) => {
      f.get(p).get(a.p1).op('i32.ge_u').brIf(pairsDone);
      pairs(1, false);
      advance(1);
      f.br(nextPair);
    }));
    f.get(a.tail).if_(() => pairs(1, true));
    f.get(i).i32(1).op('i32.add').set(i);
    f.br(nextRow);
  }));
}

/** rows whose cluster sums are accumulated together: each member index is read once for all of
 *  them, and their sums are independent dependency chains */
const SUM_ROWS = 8;

const SUMS_PARAMS = { db: 'i32', n4: 'i32', i0: 'i32', i1: 'i32', members: 'i32', starts: 'i32', k: 'i32', out: 'i32' } as const;

/**
 * sumsBlock / sumsRow(D, n4, i0, i1, members, starts, k, out): for rows i in [i0, i1), R at a time,
 * out[i * k + c] = sum of D[i][j] over the members j of cluster c (ascending), as float64.
 * members holds byte offsets j * 4; starts[c] .. starts[c + 1] are byte addresses into it.
 */
function sumsBody(f: FunctionBuilder, a: P<keyof typeof SUMS_PARAMS>, R: number): void {
  const i = f.local('i32', 'i'), c = f.local('i32', 'c'), sp = f.local('i32', 'startAt'), t = f.local('i32', 't');
  const en = f.local('i32', 'end'), m = f.local('i32', 'member'), k8 = f.local('i32', 'k8');
  const b = f.locals('i32', R, 'row'), o = f.locals('i32', R, 'out'), acc = f.locals('f64', R, 'acc');
  f.get(a.k).i32(3).op('i32.shl').set(k8);
  f.get(a.i0).set(i);
  f.block((rowsDone) => f.loop((nextRows) => {
    f.get(i).i32(R).op('i32.add').get(a.i1).op('i32.gt_u').brIf(rowsDone);
    for (let r = 0; r < R; r++) {
      f.get(a.db).get(i).i32(r).op('i32.add').get(a.n4).op('i32.mul', 'i32.add').set(b[r]!);
      f.get(a.out).get(i).i32(r).op('i32.add').get(k8).op('i32.mul', 'i32.add').set(o[r]!);
    }
    f.get(a.starts).set(sp).i32(0).set(c);
    f.block((clustersDone) => f.loop((nextCluster) => {
      f.get(c).get(a.k).op('i32.ge_u').brIf(clustersDone);
      f.get(sp).mem('i32.load').set(t).get(sp).mem('i32.load', 4).set(en);
      for (let r = 0; r < R; r++) f.f64(0).set(acc[r]!);
      f.block((membersDone) => f.loop((nextMember) => {
        f.get(t).get(en).op('i32.ge_u').brIf(membersDone);
        f.get(t).mem('i32.load').set(m);
        for (let r = 0; r < R; r++) f.get(acc[r]!).get(b[r]!).get(m).op('i32.add').mem('f32.load').op('f64.promote_f32', 'f64.add').set(acc[r]!);
        f.get(t).i32(4).op('i32.add').set(t);
        f.br(nextMember);
      }));
      for (let r = 0; r < R; r++) f.get(o[r]!).get(acc[r]!).mem('f64.store').get(o[r]!).i32(8).op('i32.add').set(o[r]!);
      f.get(sp).i32(4).op('i32.add').set(sp).get(c).i32(1).op('i32.add').set(c);
      f.br(nextCluster);
    }));
    f.get(i).i32(R).op('i32.add').set(i);
    f.br(nextRows);
  }));
}

/**
 * addRows(rows, count, n, acc): acc[i] += D[row][i] for every i < n and each of the `count` rows
 * whose byte offsets are at `rows` (in order): four distances per load, two float64 lanes per add.
 */
function addRowsBody(f: FunctionBuilder, a: P<'rows' | 'count' | 'n' | 'acc'>): void {
  const end = f.local('i32', 'rowEnd'), p = f.local('i32', 'p'), at = f.local('i32', 'at');
  const stop = f.local('i32', 'stop'), stop4 = f.local('i32', 'stop4'), v4 = f.local('v128', 'v4');
  const high = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  f.get(a.rows).get(a.count).i32(2).op('i32.shl', 'i32.add').set(stop);
  f.block((rowsDone) => f.loop((nextRow) => {
    f.get(a.rows).get(stop).op('i32.ge_u').brIf(rowsDone);
    f.get(a.rows).mem('i32.load').tee(p).get(a.n).i32(-4).op('i32.and').i32(2).op('i32.shl', 'i32.add').set(stop4);
    f.get(a.acc).set(at);
    f.block((quadsDone) => f.loop((nextQuad) => {
      f.get(p).get(stop4).op('i32.ge_u').brIf(quadsDone);
      f.get(p).mem('v128.load', 0, 4).set(v4);
      f.get(at).get(at).mem('v128.load', 0, 8).get(v4).op('f64x2.promote_low_f32x4', 'f64x2.add').mem('v128.store', 0, 8);
      f.get(at).get(at).mem('v128.load', 16, 8).get(v4).get(v4).shuffle(high).op('f64x2.promote_low_f32x4', 'f64x2.add').mem('v128.store', 16, 8);
      f.get(p).i32(16).op('i32.add').set(p).get(at).i32(32).op('i32.add').set(at);
      f.br(nextQuad);
    }));
    f.comment('the last n % 4 distances');
    f.get(a.rows).mem('i32.load').get(a.n).i32(2).op('i32.shl', 'i32.add').set(end);
    f.block((restDone) => f.loop((nextOne) => {
      f.get(p).get(end).op('i32.ge_u').brIf(restDone);
      f.get(at).get(at).mem('f64.load').get(p).mem('f32.load').op('f64.promote_f32', 'f64.add').mem('f64.store');
      f.get(p).i32(4).op('i32.add').set(p).get(at).i32(8).op('i32.add').set(at);
      f.br(nextOne);
    }));
    f.get(a.rows).i32(4).op('i32.add').set(a.rows);
    f.br(nextRow);
  }));
}

/** apply(acc, n, k8, from8, to8, sums): sums[i][from] -= acc[i], sums[i][to] += acc[i] for every i < n. */
function applyBody(f: FunctionBuilder, a: P<'acc' | 'n' | 'k8' | 'from8' | 'to8' | 'sums'>): void {
  const i = f.local('i32', 'i'), p = f.local('i32', 'p'), at = f.local('i32', 'at'), x = f.local('i32', 'x'), v = f.local('f64', 'v');
  f.i32(0).set(i).get(a.acc).set(p).get(a.sums).set(at);
  f.block((done) => f.loop((next) => {
    f.get(i).get(a.n).op('i32.ge_u').brIf(done);
    f.get(p).mem('f64.load').set(v);
    f.get(at).get(a.from8).op('i32.add').tee(x).get(x).mem('f64.load').get(v).op('f64.sub').mem('f64.store');
    f.get(at).get(a.to8).op('i32.add').tee(x).get(x).mem('f64.load').get(v).op('f64.add').mem('f64.store');
    f.get(p).i32(8).op('i32.add').set(p).get(at).get(a.k8).op('i32.add').set(at).get(i).i32(1).op('i32.add').set(i);
    f.br(next);
  }));
}

/**
 * kth(D, n, i0, i1, k, heap, out): for rows i in [i0, i1), T = the k-th smallest value of row i
 * (a max-heap of k float32 at `heap`; four values are compared with the heap's top at once and
 * only a group with a smaller one is inserted value by value), then how many values are below T,
 * how many equal it and the first column that does. out[i]: [T float32, below, ties, first] (16 bytes).
 */
function kthBody(f: FunctionBuilder, a: P<'db' | 'n' | 'i0' | 'i1' | 'k' | 'heap' | 'out'>): void {
  const i = f.local('i32', 'i'), p = f.local('i32', 'p'), stop = f.local('i32', 'stop'), stop4 = f.local('i32', 'stop4');
  const row = f.local('i32', 'row'), pos = f.local('i32', 'pos'), ch = f.local('i32', 'child'), h = f.local('i32', 'h');
  const ft = f.local('i32', 'firstTie');
  const below = f.local('i32', 'below'), ties = f.local('i32', 'ties');
  const top = f.local('f32', 'top'), v = f.local('f32', 'v'), cv = f.local('f32', 'childV'), rv = f.local('f32', 'rightV');
  const tv = f.local('v128', 'topV'), x4 = f.local('v128', 'x4'), ab = f.local('v128', 'belowV'), at = f.local('v128', 'tiesV'), eq = f.local('v128', 'eq');
  /** the address of heap[idx] */
  const heapAt = (idx: Local) => f.get(a.heap).get(idx).i32(2).op('i32.shl', 'i32.add');
  /** heap[0] := v, sifted down (a child larger than v moves up; the larger child first) */
  const insert = () => {
    f.i32(0).set(pos);
    f.block((placed) => f.loop((down) => {
      f.get(pos).i32(1).op('i32.shl').i32(1).op('i32.add').tee(ch).get(a.k).op('i32.ge_u').brIf(placed);
      heapAt(ch).mem('f32.load').set(cv);
      f.comment('the right child, when there is one and it is larger');
      f.get(ch).i32(1).op('i32.add').get(a.k).op('i32.lt_u').if_(() => {
        heapAt(ch).mem('f32.load', 4).tee(rv).get(cv).op('f32.gt').if_(() => {
          f.get(rv).set(cv).get(ch).i32(1).op('i32.add').set(ch);
        });
      });
      f.get(cv).get(v).op('f32.le').brIf(placed);
      heapAt(pos).get(cv).mem('f32.store');
      f.get(ch).set(pos);
      f.br(down);
    }));
    heapAt(pos).get(v).mem('f32.store');
    f.get(a.heap).mem('f32.load').set(top);
  };
  /** v = the value at p + offset; if v < top: insert */
  const scalar = (offset: number) => {
    f.get(p).mem('f32.load', offset).tee(v).get(top).op('f32.lt').if_(insert);
  };
  /** the first column equal to T (the caller knows one of the four is) */
  const tieCheck = (offset: number, lane: number) => {
    f.get(ft).i32(0).op('i32.lt_s').if_(() => {
      f.get(p).mem('f32.load', offset).get(top).op('f32.eq').if_(() => {
        f.get(p).get(row).op('i32.sub').i32(2).op('i32.shr_u').i32(lane).op('i32.add').set(ft);
      });
    });
  };
  f.get(a.i0).set(i);
  f.block((rowsDone) => f.loop((nextRow) => {
    f.get(i).get(a.i1).op('i32.ge_u').brIf(rowsDone);
    f.get(a.db).get(i).get(a.n).op('i32.mul').i32(2).op('i32.shl', 'i32.add').tee(row).set(p);
    f.get(row).get(a.n).i32(2).op('i32.shl', 'i32.add').set(stop);
    f.get(row).get(a.n).i32(-4).op('i32.and').i32(2).op('i32.shl', 'i32.add').set(stop4);
    f.comment('heap := +inf');
    f.i32(0).set(h);
    f.block((filled) => f.loop((fill) => {
      f.get(h).get(a.k).op('i32.ge_u').brIf(filled);
      heapAt(h).f32(Infinity).mem('f32.store');
      f.get(h).i32(1).op('i32.add').set(h).br(fill);
    }));
    f.f32(Infinity).tee(top).op('f32x4.splat').set(tv);
    f.comment('pass 1: the k smallest');
    f.block((quadsDone) => f.loop((nextQuad) => {
      f.get(p).get(stop4).op('i32.ge_u').brIf(quadsDone);
      f.get(p).mem('v128.load', 0, 4).get(tv).op('f32x4.lt', 'v128.any_true').if_(() => {
        for (let l = 0; l < 4; l++) scalar(4 * l);
        f.get(top).op('f32x4.splat').set(tv);
      });
      f.get(p).i32(16).op('i32.add').set(p).br(nextQuad);
    }));
    f.block((restDone) => f.loop((nextOne) => {
      f.get(p).get(stop).op('i32.ge_u').brIf(restDone);
      scalar(0);
      f.get(p).i32(4).op('i32.add').set(p).br(nextOne);
    }));
    f.comment('pass 2: below T, equal to T, first equal');
    f.get(top).op('f32x4.splat').set(tv);
    f.v128zero().tee(ab).set(at);
    f.i32(-1).set(ft).i32(0).tee(below).set(ties);
    f.get(row).set(p);
    f.block((quadsDone) => f.loop((nextQuad) => {
      f.get(p).get(stop4).op('i32.ge_u').brIf(quadsDone);
      f.get(ab).get(p).mem('v128.load', 0, 4).tee(x4).get(tv).op('f32x4.lt', 'i32x4.sub').set(ab);
      f.get(at).get(x4).get(tv).op('f32x4.eq').tee(eq).op('i32x4.sub').set(at);
      f.get(eq).op('v128.any_true').if_(() => { for (let l = 0; l < 4; l++) tieCheck(4 * l, l); });
      f.get(p).i32(16).op('i32.add').set(p).br(nextQuad);
    }));
    f.block((restDone) => f.loop((nextOne) => {
      f.get(p).get(stop).op('i32.ge_u').brIf(restDone);
      f.get(p).mem('f32.load').tee(v).get(top).op('f32.lt').get(below).op('i32.add').set(below);
      f.get(v).get(top).op('f32.eq').get(ties).op('i32.add').set(ties);
      f.get(v).get(top).op('f32.eq').if_(() => tieCheck(0, 0));
      f.get(p).i32(4).op('i32.add').set(p).br(nextOne);
    }));
    f.comment('a true lane of a comparison is -1: subtracting masks counts up');
    for (let l = 0; l < 4; l++) {
      f.get(below).get(ab).lane('i32x4.extract_lane', l).op('i32.add').set(below);
      f.get(ties).get(at).lane('i32x4.extract_lane', l).op('i32.add').set(ties);
    }
    f.get(a.out).get(i).i32(4).op('i32.shl', 'i32.add').set(h);
    f.get(h).get(top).mem('f32.store');
    f.get(h).get(below).mem('i32.store', 4);
    f.get(h).get(ties).mem('i32.store', 8);
    f.get(h).get(ft).mem('i32.store', 12);
    f.get(i).i32(1).op('i32.add').set(i);
    f.br(nextRow);
  }));
}

/**
 * count(D, n, i0, i1, lohi, out): for rows i in [i0, i1), how many values are below lo and how
 * many lie in [lo, hi] (lo and hi: two float32 at `lohi`). out[i]: [below, band] (8 bytes).
 */
function countBody(f: FunctionBuilder, a: P<'db' | 'n' | 'i0' | 'i1' | 'lohi' | 'out'>): void {
  const i = f.local('i32', 'i'), p = f.local('i32', 'p'), stop = f.local('i32', 'stop'), stop4 = f.local('i32', 'stop4');
  const below = f.local('i32', 'below'), band = f.local('i32', 'band'), h = f.local('i32', 'h');
  const lo = f.local('f32', 'lo'), hi = f.local('f32', 'hi'), v = f.local('f32', 'v');
  const lo4 = f.local('v128', 'lo4'), hi4 = f.local('v128', 'hi4'), x4 = f.local('v128', 'x4');
  const ab = f.local('v128', 'belowV'), an = f.local('v128', 'bandV');
  f.get(a.lohi).mem('f32.load').tee(lo).op('f32x4.splat').set(lo4);
  f.get(a.lohi).mem('f32.load', 4).tee(hi).op('f32x4.splat').set(hi4);
  f.get(a.i0).set(i);
  f.block((rowsDone) => f.loop((nextRow) => {
    f.get(i).get(a.i1).op('i32.ge_u').brIf(rowsDone);
    f.get(a.db).get(i).get(a.n).op('i32.mul').i32(2).op('i32.shl', 'i32.add').tee(p);
    f.get(a.n).i32(2).op('i32.shl', 'i32.add').set(stop);
    f.get(p).get(a.n).i32(-4).op('i32.and').i32(2).op('i32.shl', 'i32.add').set(stop4);
    f.v128zero().tee(ab).set(an);
    f.i32(0).tee(below).set(band);
    f.block((quadsDone) => f.loop((nextQuad) => {
      f.get(p).get(stop4).op('i32.ge_u').brIf(quadsDone);
      f.get(ab).get(p).mem('v128.load', 0, 4).tee(x4).get(lo4).op('f32x4.lt', 'i32x4.sub').set(ab);
      f.get(an).get(x4).get(lo4).op('f32x4.ge').get(x4).get(hi4).op('f32x4.le', 'v128.and', 'i32x4.sub').set(an);
      f.get(p).i32(16).op('i32.add').set(p).br(nextQuad);
    }));
    f.block((restDone) => f.loop((nextOne) => {
      f.get(p).get(stop).op('i32.ge_u').brIf(restDone);
      f.get(p).mem('f32.load').tee(v).get(lo).op('f32.lt').get(below).op('i32.add').set(below);
      f.get(v).get(lo).op('f32.ge').get(v).get(hi).op('f32.le', 'i32.and').get(band).op('i32.add').set(band);
      f.get(p).i32(4).op('i32.add').set(p).br(nextOne);
    }));
    for (let l = 0; l < 4; l++) {
      f.get(below).get(ab).lane('i32x4.extract_lane', l).op('i32.add').set(below);
      f.get(band).get(an).lane('i32x4.extract_lane', l).op('i32.add').set(band);
    }
    f.get(a.out).get(i).i32(3).op('i32.shl', 'i32.add').tee(h).get(below).mem('i32.store');
    f.get(h).get(band).mem('i32.store', 4);
    f.get(i).i32(1).op('i32.add').set(i);
    f.br(nextRow);
  }));
}

/** The distance-matrix kernels for rows of d columns. */
export function pairwiseKernel(d: number): ModuleBuilder {
  const m = new ModuleBuilder('pairwise', { min: 1 });
  m.func('dist', { i0: 'i32', i1: 'i32', p0: 'i32', p1: 'i32', tail: 'i32', n4: 'i32', xp: 'i32', db: 'i32' }, (f, a) => distBody(f, a, d));
  m.func('sumsBlock', SUMS_PARAMS, (f, a) => sumsBody(f, a, SUM_ROWS));
  m.func('sumsRow', SUMS_PARAMS, (f, a) => sumsBody(f, a, 1));
  m.func('addRows', { rows: 'i32', count: 'i32', n: 'i32', acc: 'i32' }, addRowsBody);
  m.func('apply', { acc: 'i32', n: 'i32', k8: 'i32', from8: 'i32', to8: 'i32', sums: 'i32' }, applyBody);
  m.func('kth', { db: 'i32', n: 'i32', i0: 'i32', i1: 'i32', k: 'i32', heap: 'i32', out: 'i32' }, kthBody);
  m.func('count', { db: 'i32', n: 'i32', i0: 'i32', i1: 'i32', lohi: 'i32', out: 'i32' }, countBody);
  return m;
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

const cache = new KernelCache<number>();
const kernelModule = (d: number): WebAssembly.Module | null => cache.get(d, () => pairwiseKernel(d));

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
    this.kernels = instantiate<Kernels>(mod, this.memory);
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
    if (X.rows * X.rows * 4 > MAX_BYTES) {
      throw new Error(`DistanceMatrix: ${X.rows} rows need ${(X.rows * X.rows * 4 / 2 ** 30).toFixed(1)} GB, more than ${MAX_BYTES / 2 ** 30} GB`);
    }
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
