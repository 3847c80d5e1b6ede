// Implicit-feedback ALS (Hu, Koren, Volinsky 2008) with the conjugate-gradient row solver of
// Takacs et al. 2011. User and item half-steps are split over worker threads (one per core) that
// share the factor matrices through SharedArrayBuffer; results do not depend on the thread count.
// The row solves and Gram products run in a WebAssembly SIMD kernel (als-wasm.ts) over one shared
// arena when the factor count fills its lanes, else in the scalar JavaScript kernel (als-kernel.ts).
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { resolveParams, requireFitted, BaseEstimator } from '../core/estimator.ts';
import { Rng } from '../core/rng.ts';
import { defaultThreads } from '../../util/workers.ts';
import { threadPool } from '../../util/thread-pool.ts';
import { Interactions, type Csr } from './interactions.ts';
import { WEIGHTINGS, WEIGHTING_DEFAULTS, checkWeighting, resolveWeighting, weightValues, type Weighting } from './weighting.ts';
import {
  GRAM_CHUNK, finishGram, gramChunk, makeScratch, solveRows, splitRows, type FactorArray, type SideMatrix,
} from './als-kernel.ts';
import {
  alsLayout, alsModule, giveBackAlsMemory, gramWasm, instantiateAls, solveWasm, takeAlsMemory, warmAls, type SideOffsets,
} from './als-wasm.ts';
import type { HalfStep } from './worker.ts';
import {
  checkSerialized, decodeArray, deserializeInteractions, encodeArray, recommendFrom, serializeInteractions,
  type RecommendOptions, type Recommendation, type Recommender, type SerializedRecommender,
} from './recommender.ts';

/** the recommender's tasks on the thread pool (ALS half-steps, EASE's blocked inverse) */
export const RECSYS_TASKS = new URL('./worker.ts', import.meta.url);

export interface AlsParams {
  factors: number;
  /**
   * L2 strength lambda, or 'auto': regularizationScale x the mean number of interactions per
   * user (resolved at fit, kept in the model's state). The data term of a row's normal equations
   * grows with the row's interactions, so a fixed lambda means little on one data set and
   * everything on another (0.1 suits neither MovieLens nor play counts: docs/decisions.md).
   */
  regularization: number | 'auto';
  /** with regularization 'auto': lambda = regularizationScale x nnz / nUsers */
  regularizationScale: number;
  /** confidence c = 1 + alpha * weighting(w) */
  alpha: number;
  /**
   * the weighting of the raw values (weighting.ts): 'auto' (log on counts, linear on 0/1 data),
   * 'linear', 'log' (log(1 + w / epsilon)), 'bm25', 'tfidf'; 'log1p' is 'log' with epsilon 1
   */
  confidence: Weighting | 'auto' | 'log1p';
  epsilon: number;
  bm25K1: number;
  bm25B: number;
  iterations: number;
  cgSteps: number;
  seed: number;
  /**
   * factor storage and solver arithmetic: the SIMD kernel solves float32 factors in float32
   * (like implicit's CPU CG), float64 in float64; the scalar fallback (factors not a multiple of
   * 4 for float32) accumulates in float64
   */
  dtype: 'float32' | 'float64';
  /** 0 = one per core (defaultThreads); 1 = no workers */
  threads: number;
}

export const ALS_DEFAULTS: AlsParams = {
  factors: 64, regularization: 'auto', regularizationScale: 0.2, alpha: 1, confidence: 'auto', ...WEIGHTING_DEFAULTS, iterations: 15, cgSteps: 3,
  seed: 0, dtype: 'float32', threads: 0,
};

export interface AlsFitOptions {
  /** called after each full iteration (users then items) with its wall time */
  onIteration?: (iteration: number, seconds: number) => void;
}

interface AlsState {
  userFactors: FactorArray; itemFactors: FactorArray;
  /** the weighting the fit used ('auto' resolved on the data) */
  confidence: Weighting;
  /** the L2 strength the fit used ('auto' resolved on the data) */
  regularization: number;
}

/** The L2 strength of a fit: the number given, or 'auto' resolved on the data. */
export function resolveRegularization(p: Pick<AlsParams, 'regularization' | 'regularizationScale'>, data: Interactions): number {
  return p.regularization === 'auto' ? p.regularizationScale * data.nnz / Math.max(1, data.nUsers) : p.regularization;
}

export class ImplicitAls extends BaseEstimator<AlsParams> implements Recommender<AlsParams> {
  readonly kind = 'als';
  readonly params: AlsParams;
  data: Interactions | undefined;
  state: AlsState | undefined;

  constructor(params: Partial<AlsParams> = {}) {
    super();
    // regularization takes a number or 'auto': checked here, not by resolveParams' type rule
    const { regularization = ALS_DEFAULTS.regularization, ...rest } = params;
    const p = { ...resolveParams('als', ALS_DEFAULTS, rest), regularization };
    const posInt = (k: keyof AlsParams, min: number) => {
      const v = p[k] as number;
      if (!Number.isInteger(v) || v < min) throw new InvalidParameterError(`als: parameter "${k}" must be an integer >= ${min}, got ${v}`);
    };
    posInt('factors', 1); posInt('iterations', 0); posInt('cgSteps', 1); posInt('threads', 0); posInt('seed', 0);
    if (p.regularization !== 'auto' && !(typeof p.regularization === 'number' && p.regularization >= 0)) {
      throw new InvalidParameterError(`als: parameter "regularization" must be a number >= 0 or "auto", got ${JSON.stringify(p.regularization)}`);
    }
    if (!(p.regularizationScale >= 0)) throw new InvalidParameterError(`als: parameter "regularizationScale" must be >= 0, got ${p.regularizationScale}`);
    if (!(p.alpha >= 0)) throw new InvalidParameterError(`als: parameter "alpha" must be >= 0, got ${p.alpha}`);
    if (p.dtype !== 'float32' && p.dtype !== 'float64') {
      throw new InvalidParameterError(`als: parameter "dtype" must be "float32" or "float64", got ${JSON.stringify(p.dtype)}`);
    }
    checkWeighting('als', 'confidence', p.confidence, ['auto', 'log1p', ...WEIGHTINGS], p);
    this.params = p;
  }

  async fit(data: Interactions, opts: AlsFitOptions = {}): Promise<this> {
    if (data.nUsers === 0 || data.nItems === 0) throw new InvalidInputError('als: no interactions to fit');
    const { factors: f, iterations, cgSteps, seed, dtype } = this.params;
    const reg = resolveRegularization(this.params, data);
    const F = dtype === 'float32' ? Float32Array : Float64Array;
    const threads = this.params.threads === 0 ? autoThreads(data.nnz, f) : this.params.threads;
    const shared = threads > 1;
    const buf = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    // WebAssembly SIMD kernel when the factor count fits its lanes: everything in one shared arena
    const wasmOk = alsModule(f, dtype) !== null;
    const confidence = this.params.confidence === 'log1p' ? 'log' : resolveWeighting(this.params.confidence, data);
    const epsilon = this.params.confidence === 'log1p' ? 1 : this.params.epsilon;
    const weigh = (side: 'user' | 'item') => weightValues(data, side, confidence, { ...this.params, epsilon });
    const slots = shared ? threads : 1;
    const sized = wasmOk ? alsLayout(f, dtype, data.nUsers, data.nItems, data.nnz, slots) : undefined;
    const memory = sized ? takeAlsMemory(sized.bytes) : null;
    const L = memory ? sized!.layout : undefined;
    const users = this.side(data.byUser, weigh('user'), buf, memory && L ? { mem: memory, at: L.users } : undefined);
    const items = this.side(data.byItem, weigh('item'), buf, memory && L ? { mem: memory, at: L.items } : undefined);
    const factorArray = (n: number, at: number | undefined): FactorArray => (memory && at !== undefined
      ? (dtype === 'float32' ? new Float32Array(memory.buffer, at, n * f) : new Float64Array(memory.buffer, at, n * f))
      : dtype === 'float32' ? new Float32Array(buf(n * f * 4)) : new Float64Array(buf(n * f * 8)));
    const X = factorArray(data.nUsers, L?.X);
    const Y = factorArray(data.nItems, L?.Y);
    // the anchor's init: N(0, 0.01) for both sides, users drawn first
    const rng = new Rng(seed);
    for (let k = 0; k < X.length; k++) X[k] = 0.01 * rng.normal();
    for (let k = 0; k < Y.length; k++) Y[k] = 0.01 * rng.normal();

    const pool = shared ? await threadPool().hold(threads, RECSYS_TASKS) : undefined;
    // the counter the threads claim a half-step's tasks from (worker.ts, halfStep)
    const next = new Int32Array(new SharedArrayBuffer(4));
    await pool?.broadcast('init', (slot: number) => (memory && L
      ? { wasm: { module: alsModule(f, dtype)!, memory, layout: L, slot }, f, cgSteps, next }
      : { users, items, X, Y, f, cgSteps, next }));
    try {
      const scratch = pool || memory ? undefined : makeScratch(f);
      const fns = memory && L && !pool ? instantiateAls(f, dtype, memory) : undefined;
      /** one message per thread (as many threads as tasks at most), each claiming tasks until none is left */
      const halfStep = async (h: HalfStep): Promise<Array<[number, Float64Array]>> => {
        Atomics.store(next, 0, 0);
        const n = Math.min(pool!.size, h.ranges.length);
        const replies = await Promise.all(Array.from({ length: n }, (_, i) => pool!.call<{ grams: Array<[number, Float64Array]> }>(i, 'halfStep', h)));
        return replies.flatMap((r) => r.grams);
      };
      // a side's Gram chunks and row ranges do not change between iterations
      const gramChunks = (n: number) => {
        const chunks: Array<[number, number]> = [];
        for (let lo = 0; lo < n; lo += GRAM_CHUNK) chunks.push([lo, Math.min(n, lo + GRAM_CHUNK)]);
        return chunks;
      };
      const chunksOf = { user: gramChunks(data.nUsers), item: gramChunks(data.nItems) };
      const gram = async (side: 'user' | 'item'): Promise<Float64Array> => {
        const chunks = chunksOf[side];
        let parts: Float64Array[];
        if (pool) {
          parts = new Array<Float64Array>(chunks.length);
          for (const [k, g] of await halfStep({ op: 'gram', side, ranges: chunks })) parts[k] = g;
        } else if (fns) {
          parts = chunks.map(([lo, hi]) => gramWasm(fns, L!, memory!, side, lo, hi, 0));
        } else {
          parts = chunks.map(([lo, hi]) => { const o = new Float64Array(f * f); gramChunk(side === 'user' ? X : Y, f, lo, hi, o); return o; });
        }
        return finishGram(parts, f, reg);
      };
      // several ranges per thread so a slow range (or a busy core) does not leave the others idle
      // at the end, but each worth ~1 ms or more of work (the threads claim them without messages)
      const rangesOf = (m: SideMatrix) => {
        if (!pool) return [];
        const n = m.indptr.length - 1;
        const work = (m.indptr[n]! * 2 * f + n * f * f) * (cgSteps + 1);
        return splitRows(m.indptr, f, Math.min(threads * 16, Math.max(threads, Math.round(work / 5e6))));
      };
      const rows = { user: rangesOf(users), item: rangesOf(items) };
      const solve = async (side: 'user' | 'item', A: Float64Array) => {
        // the wasm kernel reads YtY + reg I from the arena, in the factors' element type
        if (memory && L) (dtype === 'float32' ? new Float32Array(memory.buffer, L.A, f * f) : new Float64Array(memory.buffer, L.A, f * f)).set(A);
        if (pool) {
          await halfStep(memory ? { op: 'solve', side, ranges: rows[side] } : { op: 'solve', side, ranges: rows[side], A });
        } else if (fns) {
          solveWasm(fns, L!, side, 0, side === 'user' ? data.nUsers : data.nItems, 0, cgSteps);
        } else if (side === 'user') {
          solveRows(users, X, Y, A, f, cgSteps, 0, data.nUsers, scratch!);
        } else {
          solveRows(items, Y, X, A, f, cgSteps, 0, data.nItems, scratch!);
        }
      };
      for (let it = 0; it < iterations; it++) {
        const t0 = performance.now();
        await solve('user', await gram('item'));
        await solve('item', await gram('user'));
        opts.onIteration?.(it, (performance.now() - t0) / 1000);
      }
    } finally {
      // drop the workers' views so the shared buffers can be freed
      if (pool) { await pool.broadcast('init', null).catch(() => {}); pool.release(); }
    }
    // plain (non-shared) copies: the model outlives the workers and is serialised
    this.state = { userFactors: F.from(X), itemFactors: F.from(Y), confidence, regularization: reg };
    // every task has ended and the threads have dropped their views: the next fit may take the arena
    if (memory) giveBackAlsMemory(memory);
    this.data = data;
    return this;
  }

  /** The solver's view of one CSR side: in the wasm arena at `arena.at`, else in buffers from `buf`. */
  private side(m: Csr, weighted: Float32Array, buf: (bytes: number) => ArrayBufferLike, arena?: { mem: WebAssembly.Memory; at: SideOffsets }): SideMatrix {
    const { alpha } = this.params;
    const b = arena?.mem.buffer;
    const indptr = b ? new Int32Array(b, arena!.at.indptr, m.indptr.length) : new Int32Array(buf(m.indptr.byteLength));
    indptr.set(m.indptr);
    const indices = b ? new Int32Array(b, arena!.at.indices, m.indices.length) : new Int32Array(buf(m.indices.byteLength));
    indices.set(m.indices);
    const cm1 = b ? new Float32Array(b, arena!.at.cm1, m.data.length) : new Float32Array(buf(m.data.length * 4));
    for (let k = 0; k < m.data.length; k++) {
      const w = m.data[k]!;
      if (w < 0) throw new InvalidInputError(`als: field "weight" must be >= 0 for implicit feedback, got ${w}`);
      cm1[k] = alpha * weighted[k]!;
    }
    return { indptr, indices, cm1 };
  }

  scoreUsers(users: Int32Array): Float32Array {
    const { userFactors: X, itemFactors: Y } = requireFitted('als', this.state);
    const f = this.params.factors;
    const nItems = Y.length / f;
    const out = new Float32Array(users.length * nItems);
    const x = new Float64Array(f);
    for (let b = 0; b < users.length; b++) {
      const uo = users[b]! * f;
      for (let k = 0; k < f; k++) x[k] = X[uo + k]!;
      const ro = b * nItems;
      for (let i = 0; i < nItems; i++) {
        const yo = i * f;
        let s = 0;
        for (let k = 0; k < f; k++) s += x[k]! * Y[yo + k]!;
        out[ro + i] = s;
      }
    }
    return out;
  }

  recommend(user: number | string, n: number, opts?: RecommendOptions): Recommendation[] {
    requireFitted('als', this.state);
    return recommendFrom(this, this.data!, user, n, opts);
  }

  toJSON(): SerializedRecommender<AlsParams> {
    const s = requireFitted('als', this.state);
    return {
      kind: this.kind, format: 1, params: { ...this.params }, data: serializeInteractions(this.data!),
      state: { userFactors: encodeArray(s.userFactors), itemFactors: encodeArray(s.itemFactors), confidence: s.confidence, regularization: s.regularization },
    };
  }

  static fromJSON(json: SerializedRecommender<AlsParams>): ImplicitAls {
    checkSerialized('als', json);
    const m = new ImplicitAls(json.params);
    m.data = deserializeInteractions(json.data);
    const st = json.state as Record<string, any>;
    const X = decodeArray(st.userFactors), Y = decodeArray(st.itemFactors);
    if (X instanceof Int32Array || Y instanceof Int32Array) throw new InvalidInputError('als.fromJSON: factors must be float arrays');
    if (X.length !== m.data.nUsers * m.params.factors || Y.length !== m.data.nItems * m.params.factors) {
      throw new InvalidInputError('als.fromJSON: factor shapes do not match the ids and "factors"');
    }
    // models saved before the weightings were named used linear or log1p
    const confidence: Weighting = typeof st.confidence === 'string' && (WEIGHTINGS as readonly string[]).includes(st.confidence)
      ? st.confidence as Weighting : m.params.confidence === 'log1p' ? 'log' : 'linear';
    // models saved before 'auto' regularisation had a number in their params
    const regularization = typeof st.regularization === 'number' ? st.regularization : resolveRegularization(m.params, m.data);
    m.state = { userFactors: X, itemFactors: Y, confidence, regularization };
    return m;
  }
}

/**
 * Threads for a fit when the caller leaves it to us: one per core, except for small problems
 * where the per-half-step hand-off costs more than it saves.
 */
export function autoThreads(nnz: number, factors: number): number {
  return nnz * factors < 1_000_000 ? 1 : defaultThreads();
}

/**
 * Starts the worker pool ahead of time (workers take ~0.1-0.3 s each to load) and compiles and
 * warms the SIMD kernel for `kernel` (by default the default factor count and dtype) meanwhile.
 */
export async function startAlsWorkers(
  threads = defaultThreads(), kernel: { factors: number; dtype: 'float32' | 'float64' } = ALS_DEFAULTS,
): Promise<void> {
  const pool = threads > 1 ? threadPool().warm(threads, RECSYS_TASKS) : undefined;
  warmAls(kernel.factors, kernel.dtype);
  await pool;
}
