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
import { KernelCache, ModuleBuilder, instantiate, type FunctionBuilder, type Local } from '../../util/wasm.ts';
import type { CentreMoves } from './geometry.ts';

/** centre pairs whose dot products are computed together (independent chains per row) */
const GROUP = 4;

/** The locals every E-step variant uses to scan the centres two per instruction. */
interface PairScan {
  /** the row's values, each splat to both lanes */
  xs: Local[];
  /** a dot product chain per centre pair of a group */
  acc: Local[];
  /** t = ||c||^2 - 2 x.c of the current pair; the lanes where it beats the best so far */
  tv: Local; mask: Local;
  /** per lane: the best t and its centre index (as i64); with `second`, the second best t */
  bdv: Local; biv: Local; sdv?: Local;
}

/**
 * For every centre pair, t = CN[pair] - 2 x.C[pair] (two centres per instruction; each dot
 * product adds its terms in order x0*c0 + x1*c1 + ..., as the JavaScript kernel does), and per
 * lane the best t and its index (strict <: the first, lowest index keeps a tie); with `second`
 * also the second best (the smallest other value).
 */
function scanCentrePairs(f: FunctionBuilder, c2: Local, cn: Local, d: number, pairs: number, L: PairScan): void {
  for (let p0 = 0; p0 < pairs; p0 += GROUP) {
    const g = Math.min(GROUP, pairs - p0);
    // acc[q] = sum_j splat(x_j) * C2[p0 + q][j], the g chains interleaved per j
    for (let j = 0; j < d; j++) {
      for (let q = 0; q < g; q++) {
        f.get(L.xs[j]!).get(c2).mem('v128.load', ((p0 + q) * d + j) * 16).op('f64x2.mul');
        if (j > 0) f.get(L.acc[q]!).op('f64x2.add');
        f.set(L.acc[q]!);
      }
    }
    for (let q = 0; q < g; q++) {
      const pair = p0 + q;
      // t = CN[pair] - 2 * acc (acc + acc is the same exact doubling)
      f.get(cn).mem('v128.load', pair * 16).get(L.acc[q]!).get(L.acc[q]!).op('f64x2.add', 'f64x2.sub').set(L.tv);
      f.get(L.tv).get(L.bdv).op('f64x2.lt').set(L.mask);
      if (L.sdv) {
        // t < best: the best becomes the second; else the second is min(second, t)
        f.get(L.bdv).get(L.sdv).get(L.tv).op('f64x2.pmin').get(L.mask).op('v128.bitselect').set(L.sdv);
      }
      f.get(L.tv).get(L.bdv).get(L.mask).op('v128.bitselect').set(L.bdv);
      f.v128i64x2(2 * pair, 2 * pair + 1).get(L.biv).get(L.mask).op('v128.bitselect').set(L.biv);
    }
  }
}

/**
 * The two lanes' best centres, i0 (even centres) and i1 (odd), with their t in bd and bd1:
 * leaves in `w1` whether lane 1 wins (smaller, or equal with a lower index: the global first
 * minimum), and the winner in `best`.
 */
function pickLane(f: FunctionBuilder, L: PairScan, bd: Local, bd1: Local, i0: Local, i1: Local, w1: Local, best: Local): void {
  f.get(L.bdv).lane('f64x2.extract_lane', 0).set(bd);
  f.get(L.bdv).lane('f64x2.extract_lane', 1).set(bd1);
  if (L.sdv) return;
  f.get(L.biv).lane('i64x2.extract_lane', 0).op('i32.wrap_i64').set(i0);
  f.get(L.biv).lane('i64x2.extract_lane', 1).op('i32.wrap_i64').set(i1);
  laneWinner(f, bd, bd1, i0, i1, w1, best);
}

function laneWinner(f: FunctionBuilder, bd: Local, bd1: Local, i0: Local, i1: Local, w1: Local, best: Local): void {
  f.get(bd1).get(bd).op('f64.lt');
  f.get(bd1).get(bd).op('f64.eq').get(i1).get(i0).op('i32.lt_s', 'i32.and');
  f.op('i32.or').set(w1);
  f.get(i1).get(i0).get(w1).op('select').set(best);
}

/**
 * sums[c*d + j] += x_j for the row's centre c (local `centre`), two dimensions per instruction
 * (each lane the same addition), and counts[c] += 1. `x(j)` pushes x_j for an odd last dimension.
 */
function accumulate(f: FunctionBuilder, sums: Local, counts: Local, centre: Local, row: Local, tmp: Local, d: number, x: (j: number) => void): void {
  f.get(sums).get(centre).i32(d * 8).op('i32.mul', 'i32.add').set(tmp);
  for (let j = 0; j < d; j += 2) {
    f.get(tmp);
    if (j + 1 < d) {
      f.get(tmp).mem('v128.load', j * 8, 8).get(row).mem('v128.load', j * 8, 8).op('f64x2.add').mem('v128.store', j * 8, 8);
    } else {
      f.get(tmp).mem('f64.load', j * 8); x(j); f.op('f64.add').mem('f64.store', j * 8);
    }
  }
  f.get(counts).get(centre).i32(8).op('i32.mul', 'i32.add').tee(tmp);
  f.get(tmp).mem('f64.load').f64(1).op('f64.add').mem('f64.store');
}

/** the loop over rows [start, end): i and the row pointer advance; `body` is one row */
function rowLoop(f: FunctionBuilder, start: Local, end: Local, X: Local, i: Local, row: Local, d: number, body: () => void): void {
  f.get(start).set(i);
  f.comment('row pointer = X + start * d * 8');
  f.get(X).get(start).i32(d * 8).op('i32.mul', 'i32.add').set(row);
  f.block((done) => f.loop((next) => {
    f.get(i).get(end).op('i32.lt_u', 'i32.eqz').brIf(done);
    body();
    f.get(i).i32(1).op('i32.add').set(i);
    f.get(row).i32(d * 8).op('i32.add').set(row);
    f.br(next);
  }));
}

const ASSIGN_PARAMS = { start: 'i32', end: 'i32', X: 'i32', C2: 'i32', CN: 'i32', labels: 'i32', sums: 'i32', counts: 'i32', out: 'i32' } as const;

/**
 * assign(start, end, X, C2, CN, labels, sums, counts, out): the plain Lloyd E-step of rows
 * [start, end), generated for (d, k): labels, per-centre sums and counts, and out = [inertia,
 * changed labels] (float64).
 */
export function assignKernel(d: number, k: number): ModuleBuilder {
  const m = new ModuleBuilder('kmeans-assign', { min: 1, max: 65536, shared: true });
  m.func('assign', ASSIGN_PARAMS, (f, P) => {
    const pairs = Math.ceil(k / 2);
    const i = f.local('i32', 'i'), row = f.local('i32', 'row'), best = f.local('i32', 'best'), changed = f.local('i32', 'changed');
    const tmpI = f.local('i32', 'tmpI'), i0 = f.local('i32', 'i0'), i1 = f.local('i32', 'i1');
    const bd = f.local('f64', 'bd'), bd1 = f.local('f64', 'bd1'), xn = f.local('f64', 'xn'), inertia = f.local('f64', 'inertia');
    const tmpF = f.local('f64', 'tmpF');
    const scan: PairScan = {
      xs: f.locals('v128', d, 'x'), acc: f.locals('v128', GROUP, 'acc'),
      tv: f.local('v128', 't'), mask: f.local('v128', 'mask'), bdv: f.local('v128', 'bestT'), biv: f.local('v128', 'bestIndex'),
    };
    f.f64(0).set(inertia);
    f.i32(0).set(changed);
    rowLoop(f, P.start, P.end, P.X, i, row, d, () => {
      f.comment('load x_j, splat, and accumulate ||x||^2');
      f.f64(0).set(xn);
      for (let j = 0; j < d; j++) {
        f.get(row).mem('f64.load', j * 8).tee(tmpF).op('f64x2.splat').set(scan.xs[j]!);
        f.get(xn).get(tmpF).get(tmpF).op('f64.mul', 'f64.add').set(xn);
      }
      f.comment('arg-min per lane (even centres in lane 0, odd in lane 1), then across the two lanes');
      f.f64(Infinity).op('f64x2.splat').set(scan.bdv);
      f.v128zero().set(scan.biv);
      scanCentrePairs(f, P.C2, P.CN, d, pairs, scan);
      pickLane(f, scan, bd, bd1, i0, i1, tmpI, best);
      f.get(bd1).get(bd).get(tmpI).op('select').set(bd);
      f.comment('inertia += max(xn + bd, 0)');
      f.get(xn).get(bd).op('f64.add').tee(tmpF);
      f.f64(0).get(tmpF).f64(0).op('f64.gt', 'select');
      f.get(inertia).op('f64.add').set(inertia);
      accumulate(f, P.sums, P.counts, best, row, tmpI, d, (j) => f.get(scan.xs[j]!).lane('f64x2.extract_lane', 0));
      f.comment('labels[i] != best -> changed++ ; labels[i] = best');
      f.get(P.labels).get(i).i32(4).op('i32.mul', 'i32.add').set(tmpI);
      f.get(changed).get(tmpI).mem('i32.load').get(best).op('i32.ne', 'i32.add').set(changed);
      f.get(tmpI).get(best).mem('i32.store');
    });
    f.get(P.out).get(inertia).mem('f64.store');
    f.get(P.out).get(changed).op('f64.convert_i32_s').mem('f64.store', 8);
  });
  return m;
}

export function buildAssignModule(d: number, k: number): Uint8Array { return assignKernel(d, k).bytes(); }

const BOUNDED_PARAMS = {
  start: 'i32', end: 'i32', X: 'i32', C2: 'i32', CN: 'i32', labels: 'i32', upper: 'i32', lower: 'i32', geo: 'i32', first: 'i32',
  sums: 'i32', counts: 'i32', out: 'i32',
} as const;

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
export function boundedKernel(d: number, k: number): ModuleBuilder {
  const m = new ModuleBuilder('kmeans-bounded', { min: 1, max: 65536, shared: true });
  m.func('bounded', BOUNDED_PARAMS, (f, P) => {
    const V: BoundedLocals = {
      i: f.local('i32', 'i'), row: f.local('i32', 'row'), a: f.local('i32', 'centre'), scan: f.local('i32', 'scan'),
      best: f.local('i32', 'best'), changed: f.local('i32', 'changed'), scanned: f.local('i32', 'scanned'), tmpI: f.local('i32', 'tmpI'),
      m1c: f.local('i32', 'm1c'), i0: f.local('i32', 'i0'), i1: f.local('i32', 'i1'), w1: f.local('i32', 'lane1Wins'),
      u: f.local('f64', 'u'), l: f.local('f64', 'l'), z: f.local('f64', 'z'), s: f.local('f64', 's'), e: f.local('f64', 'e'),
      xn: f.local('f64', 'xn'), bd: f.local('f64', 'bd'), sd: f.local('f64', 'sd'), bd1: f.local('f64', 'bd1'), sd1: f.local('f64', 'sd1'),
      m1: f.local('f64', 'm1'), m2: f.local('f64', 'm2'), xs: f.locals('f64', d, 'x'),
      pair: {
        xs: f.locals('v128', d, 'xv'), acc: f.locals('v128', GROUP, 'acc'), tv: f.local('v128', 't'), mask: f.local('v128', 'mask'),
        bdv: f.local('v128', 'bestT'), sdv: f.local('v128', 'secondT'), biv: f.local('v128', 'bestIndex'),
      },
    };
    f.comment('the largest and second largest move, and whose the largest is');
    f.get(P.geo).mem('f64.load', 2 * k * 8).set(V.m1);
    f.get(P.geo).mem('f64.load', (2 * k + 1) * 8).set(V.m2);
    f.get(P.geo).mem('f64.load', (2 * k + 2) * 8).op('i32.trunc_f64_s').set(V.m1c);
    f.i32(0).set(V.changed).i32(0).set(V.scanned);
    rowLoop(f, P.start, P.end, P.X, V.i, V.row, d, () => {
      for (let j = 0; j < d; j++) f.get(V.row).mem('f64.load', j * 8).set(V.xs[j]!);
      f.get(P.labels).get(V.i).i32(4).op('i32.mul', 'i32.add').mem('i32.load').set(V.a);
      f.get(P.first).set(V.scan);
      f.get(P.first).op('i32.eqz').if_(() => updateBounds(f, P, V, d, k));
      f.get(V.scan).if_(() => fullScan(f, P, V, d, k));
      f.comment('sums[a*d + j] += x_j, two dimensions per instruction; counts[a] += 1');
      accumulate(f, P.sums, P.counts, V.a, V.row, V.tmpI, d, (j) => f.get(V.xs[j]!));
    });
    f.get(P.out).get(V.changed).op('f64.convert_i32_s').mem('f64.store');
    f.get(P.out).get(V.scanned).op('f64.convert_i32_s').mem('f64.store', 8);
  });
  return m;
}

interface BoundedLocals {
  i: Local; row: Local; a: Local; scan: Local; best: Local; changed: Local; scanned: Local; tmpI: Local; m1c: Local;
  i0: Local; i1: Local; w1: Local; u: Local; l: Local; z: Local; s: Local; e: Local; xn: Local; bd: Local; sd: Local;
  bd1: Local; sd1: Local; m1: Local; m2: Local; xs: Local[]; pair: PairScan;
}
type BoundedParams = Record<keyof typeof BOUNDED_PARAMS, Local>;

/** Moves the row's bounds with the centres; sets `scan` when they no longer settle its centre. */
function updateBounds(f: FunctionBuilder, P: BoundedParams, V: BoundedLocals, d: number, k: number): void {
  f.comment('u = upper[i] + move[a]; l = lower[i] - (a === m1c ? m2 : m1)');
  f.get(P.upper).get(V.i).i32(8).op('i32.mul', 'i32.add').set(V.tmpI);
  f.get(V.tmpI).mem('f64.load').get(P.geo).get(V.a).i32(8).op('i32.mul', 'i32.add').mem('f64.load').op('f64.add').set(V.u);
  f.get(V.tmpI).get(V.u).mem('f64.store');
  f.get(P.lower).get(V.i).i32(8).op('i32.mul', 'i32.add').set(V.tmpI);
  f.get(V.tmpI).mem('f64.load').get(V.m2).get(V.m1).get(V.a).get(V.m1c).op('i32.eq', 'select', 'f64.sub').set(V.l);
  f.get(V.tmpI).get(V.l).mem('f64.store');
  f.comment('z = l > half[a] ? l : half[a]');
  f.get(V.l).get(P.geo).get(V.a).i32(8).op('i32.mul', 'i32.add').mem('f64.load', k * 8).tee(V.z);
  f.get(V.l).get(V.z).op('f64.gt', 'select').set(V.z);
  f.get(V.u).get(V.z).op('f64.gt').if_(() => {
    f.comment('the exact distance to the own centre tightens the upper bound:');
    f.comment('C2 + (a >> 1) * d * 16 + (a & 1) * 8 is its first coordinate');
    f.get(P.C2).get(V.a).i32(1).op('i32.shr_u').i32(d * 16).op('i32.mul', 'i32.add');
    f.get(V.a).i32(1).op('i32.and').i32(8).op('i32.mul', 'i32.add').set(V.tmpI);
    for (let j = 0; j < d; j++) {
      f.get(V.xs[j]!).get(V.tmpI).mem('f64.load', j * 16).op('f64.sub').tee(V.e).get(V.e).op('f64.mul');
      if (j > 0) f.get(V.s).op('f64.add');
      f.set(V.s);
    }
    f.get(V.s).op('f64.sqrt').set(V.u);
    f.get(P.upper).get(V.i).i32(8).op('i32.mul', 'i32.add').get(V.u).mem('f64.store');
    f.get(V.u).get(V.z).op('f64.gt').set(V.scan);
  });
}

/** Scores every centre for the row: its best and second best, new bounds, and its label. */
function fullScan(f: FunctionBuilder, P: BoundedParams, V: BoundedLocals, d: number, k: number): void {
  const L = V.pair;
  f.get(V.scanned).i32(1).op('i32.add').set(V.scanned);
  for (let j = 0; j < d; j++) {
    f.get(V.xs[j]!).get(V.xs[j]!).op('f64.mul');
    if (j > 0) f.op('f64.add');
  }
  f.set(V.xn);
  f.comment("every centre's t = cn - 2 x.c, two centres per instruction as in the plain kernel; per");
  f.comment('lane the best (first on ties) and the second best (the smallest other value), then across lanes');
  for (let j = 0; j < d; j++) f.get(V.xs[j]!).op('f64x2.splat').set(L.xs[j]!);
  f.f64(Infinity).op('f64x2.splat').tee(L.bdv).set(L.sdv!);
  f.v128zero().set(L.biv);
  scanCentrePairs(f, P.C2, P.CN, d, Math.ceil(k / 2), L);
  pickLane(f, L, V.bd, V.bd1, V.i0, V.i1, V.w1, V.best);
  f.get(L.sdv!).lane('f64x2.extract_lane', 0).set(V.sd);
  f.get(L.sdv!).lane('f64x2.extract_lane', 1).set(V.sd1);
  f.get(L.biv).lane('i64x2.extract_lane', 0).op('i32.wrap_i64').set(V.i0);
  f.get(L.biv).lane('i64x2.extract_lane', 1).op('i32.wrap_i64').set(V.i1);
  f.comment('lane 1 wins when smaller, or equal with a lower index; the second best overall is the');
  f.comment("smaller of the winner's second and the loser's best");
  laneWinner(f, V.bd, V.bd1, V.i0, V.i1, V.w1, V.best);
  f.comment('sd := lane1Wins ? min(sd1, bd0) : min(sd0, bd1), with min(a, b) = b < a ? b : a');
  f.get(V.bd).get(V.sd1).get(V.bd).get(V.sd1).op('f64.lt', 'select');
  f.get(V.bd1).get(V.sd).get(V.bd1).get(V.sd).op('f64.lt', 'select');
  f.get(V.w1).op('select').set(V.sd);
  f.get(V.bd1).get(V.bd).get(V.w1).op('select').set(V.bd);
  f.comment('upper = sqrt(xn + bd), lower = sqrt(xn + sd), 0 when rounding made them negative');
  for (const [bound, t] of [[P.upper, V.bd], [P.lower, V.sd]] as const) {
    f.get(bound).get(V.i).i32(8).op('i32.mul', 'i32.add');
    f.get(V.xn).get(t).op('f64.add').tee(V.e).op('f64.sqrt').f64(0).get(V.e).f64(0).op('f64.gt', 'select').mem('f64.store');
  }
  f.get(V.best).get(V.a).op('i32.ne').if_(() => {
    f.get(V.best).set(V.a).get(V.changed).i32(1).op('i32.add').set(V.changed);
    f.get(P.labels).get(V.i).i32(4).op('i32.mul', 'i32.add').get(V.best).mem('i32.store');
  });
}

export function buildBoundedModule(d: number, k: number): Uint8Array { return boundedKernel(d, k).bytes(); }

/**
 * k-means++ candidate scoring as WebAssembly SIMD, generated for (d, m candidates): per row,
 * s_t = sum_j (x_j - cand_t[j])^2 for two candidates per instruction, v_t = min(closest, s_t)
 * (f64x2.pmin is exactly "s < cl ? s : cl"), outs_t[i] = v_t and pots[t] += v_t, in the same
 * order of operations as the JavaScript kernel (multiCandidateKernel), so the same values.
 * Params: start, end, X, CP (candidates in pairs, dimension-interleaved), closest, pots, outs_0..outs_{m-1}.
 */
export function seedKernel(d: number, m: number): ModuleBuilder {
  const mod = new ModuleBuilder('kmeans-seed', { min: 1, max: 65536, shared: true });
  const params: Record<string, 'i32'> = { start: 'i32', end: 'i32', X: 'i32', CP: 'i32', closest: 'i32', pots: 'i32' };
  for (let t = 0; t < m; t++) params[`outs${t}`] = 'i32';
  mod.func('seed', params, (f, P) => {
    const pairs = Math.ceil(m / 2);
    const i = f.local('i32', 'i'), row = f.local('i32', 'row'), off = f.local('i32', 'off');
    const xs = f.locals('v128', d, 'x'), acc = f.locals('v128', pairs, 'acc'), pot = f.locals('v128', pairs, 'pot');
    const cl = f.local('v128', 'closest'), e = f.local('v128', 'e');
    for (let p = 0; p < pairs; p++) f.v128zero().set(pot[p]!);
    f.get(P.start!).set(i);
    f.get(P.start!).i32(8).op('i32.mul').set(off);
    f.get(P.X!).get(P.start!).i32(d * 8).op('i32.mul', 'i32.add').set(row);
    f.block((done) => f.loop((next) => {
      f.get(i).get(P.end!).op('i32.lt_u', 'i32.eqz').brIf(done);
      for (let j = 0; j < d; j++) f.get(row).mem('f64.load', j * 8).op('f64x2.splat').set(xs[j]!);
      f.get(P.closest!).get(off).op('i32.add').mem('f64.load').op('f64x2.splat').set(cl);
      for (let j = 0; j < d; j++) {
        for (let p = 0; p < pairs; p++) {
          f.get(xs[j]!).get(P.CP!).mem('v128.load', (p * d + j) * 16).op('f64x2.sub').set(e);
          f.get(e).get(e).op('f64x2.mul');
          if (j > 0) f.get(acc[p]!).op('f64x2.add');
          f.set(acc[p]!);
        }
      }
      for (let p = 0; p < pairs; p++) {
        f.get(cl).get(acc[p]!).op('f64x2.pmin').set(e);
        f.get(pot[p]!).get(e).op('f64x2.add').set(pot[p]!);
        for (let lane = 0; lane < 2; lane++) {
          const t = 2 * p + lane;
          if (t >= m) break;
          f.get(P[`outs${t}`]!).get(off).op('i32.add').get(e).lane('f64x2.extract_lane', lane).mem('f64.store');
        }
      }
      f.get(i).i32(1).op('i32.add').set(i);
      f.get(off).i32(8).op('i32.add').set(off);
      f.get(row).i32(d * 8).op('i32.add').set(row);
      f.br(next);
    }));
    for (let p = 0; p < pairs; p++) f.get(P.pots!).get(pot[p]!).mem('v128.store', p * 16);
  });
  return mod;
}

export function buildSeedModule(d: number, m: number): Uint8Array { return seedKernel(d, m).bytes(); }

export type WasmAssign = (start: number, end: number, X: number, C2: number, CN: number, labels: number, sums: number, counts: number, out: number) => void;

const cache = new KernelCache();
const compiled = (key: string, build: () => ModuleBuilder): WebAssembly.Module | null => cache.get(key, build);

/** The compiled E-step module for (d, k), or null where WebAssembly SIMD is unavailable. */
export function assignModule(d: number, k: number): WebAssembly.Module | null {
  return compiled(`a${d},${k}`, () => assignKernel(d, k));
}

/** The compiled bounded E-step module for (d, k), or null. */
export function boundedModule(d: number, k: number): WebAssembly.Module | null {
  return compiled(`b${d},${k}`, () => boundedKernel(d, k));
}

/** The compiled k-means++ candidate module for (d, m candidates), or null. */
export function seedModule(d: number, m: number): WebAssembly.Module | null {
  return compiled(`s${d},${m}`, () => seedKernel(d, m));
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
    const a = new WasmArena(memory, {
      id: nextId++, n, d, k, X, labels, C2, CN, seed, seedCands: seed >= 0 ? seedCands : 0, bounds, scratch, scratchStride, slots,
    });
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
    const { assign } = instantiate<{ assign: WasmAssign }>(assignModule(L.d, L.k)!, w.memory);
    cached = { id: L.id, assign, f64: new Float64Array(w.memory.buffer as SharedArrayBuffer) };
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
    const { bounded } = instantiate<{ bounded: WasmBounded }>(boundedModule(L.d, L.k)!, w.memory);
    boundedCached = { id: L.id, bounded, f64: new Float64Array(w.memory.buffer as SharedArrayBuffer) };
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
export function wasmSeedBlock(w: WasmJob, slot: number, start: number, end: number, closest: Float64Array, cands: Float64Array, m: number,
  outs: Float64Array[], res: Float64Array): void {
  const L = w.layout, d = L.d, mPairs = Math.ceil(m / 2);
  const key = `${L.id},${m}`;
  if (!seedCached || seedCached.key !== key) {
    const { seed } = instantiate<{ seed: WasmSeed }>(seedModule(d, m)!, w.memory);
    seedCached = { key, seed, f64: new Float64Array(w.memory.buffer as SharedArrayBuffer) };
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
