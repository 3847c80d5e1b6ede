// The estimator contract, run over EVERY kind the one factory (src/ml/registry.ts) knows, each on
// small generated data: unknown and mistyped parameters rejected naming the parameter; use before
// fit rejected; seeded refits identical; toJSON -> JSON text -> loadEstimator gives the same
// answers and the same JSON; getParams() (defaults filled, a copy) -> new Cls(params) builds an
// equal unfitted estimator that fits to the same answers; setParams validates as the constructor
// does, leaves a refused estimator as it was and an accepted one unfitted (Pipeline: nested
// `model__alpha` names, all or nothing); bad input
// rejected with an error naming the field (cell, column, user). The table is typed by kind, so a
// kind added to the factory without a case here does not compile (and the first test says which).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  constructibleKinds, createByName, estimatorKinds, loadEstimator, type AnyEstimator, type LoadableKind,
} from '../../src/ml/registry.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../src/ml/core/errors.ts';
import type { Matrix } from '../../src/ml/core/matrix.ts';
import { frameFromRecords } from '../../src/ml/core/frame.ts';
import { Interactions } from '../../src/ml/recsys/interactions.ts';
import { Pipeline } from '../../src/ml/pipeline/pipeline.ts';
import { ColumnTransformer } from '../../src/ml/preprocessing/index.ts';
import { Ridge } from '../../src/ml/linear/index.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { gaussian } from './helpers.ts';

const X = gaussian(120, 3, 11);
const yReg = Float64Array.from({ length: 120 }, (_, i) => X.data[i * 3]! * 2 + X.data[i * 3 + 1]!);
const yCls = yReg.map((v) => (v > 0 ? 1 : 0));
/** X with a NaN at row 2, column 1: the error must name X[2][1] */
const withNaN: Matrix = { rows: 120, cols: 3, data: X.data.slice() };
withNaN.data[2 * 3 + 1] = NaN;
const narrow: Matrix = { rows: 2, cols: 2, data: Float64Array.of(1, 2, 3, 4) };
const NAN_CELL = /X\[2\]\[1\]/;

const colours = ['red', 'green', 'blue'], sizes = ['s', 'm', 'l'];
const strings = [Array.from({ length: 60 }, (_, i) => colours[i % 3]!), Array.from({ length: 60 }, (_, i) => sizes[(i * 7) % 3]!)];
const frame = frameFromRecords(Array.from({ length: 80 }, (_, i) => ({ a: X.data[i * 3]!, b: i % 5 === 0 ? null : X.data[i * 3 + 1]!, c: colours[i % 3]! })));
const frameY = Float64Array.from({ length: 80 }, (_, i) => yReg[i]! + (i % 3));
const noColumnA = frameFromRecords([{ b: 1, c: 'red' }]);

/** 30 users in three taste groups over 24 items, with heavy-tailed play counts */
function interactions(): Interactions {
  const rng = new Rng(5), users: string[] = [], items: string[] = [], weights: number[] = [];
  for (let u = 0; u < 30; u++) {
    for (let i = 0; i < 24; i++) {
      if (Math.floor(i / 8) === u % 3 ? rng.random() < 0.7 : rng.random() < 0.08) {
        users.push(`u${u}`); items.push(`t${i}`); weights.push(1 + Math.floor(Math.exp(rng.random() * 6)));
      }
    }
  }
  return Interactions.fromTriples({ users, items, weights });
}
const plays = interactions();
const allUsers = Int32Array.from({ length: plays.nUsers }, (_, i) => i);

interface Case {
  params: Record<string, unknown>;
  /** a fresh estimator (default: createByName(kind, params)) */
  make?: () => AnyEstimator;
  fit(m: any): unknown;
  /** what the fitted model answers (compared across refits and round trips) */
  out(m: any): unknown;
  /** bad input (to fit, or to the fitted model), and what the error must name */
  bad(m: any): unknown;
  names: RegExp;
  /** use before fit (default: out on a fresh estimator) */
  unfitted?(m: any): unknown;
}

const matrix = (o: { y?: Float64Array; out: (m: any) => unknown; params?: Record<string, unknown> }): Case => ({
  params: o.params ?? {}, fit: (m) => m.fit(X, o.y), out: o.out, bad: (m) => m.fit(withNaN, o.y), names: NAN_CELL,
});
const predict = (m: any) => Array.from(m.predict(X) as ArrayLike<number>);
const transform = (m: any) => Array.from((m.transform(X) as Matrix).data);
const proba = (m: any) => Array.from((m.predictProba(X) as Matrix).data);
const recommender = (params: Record<string, unknown>): Case => ({
  params, fit: (m) => m.fit(plays), out: (m) => [Array.from(m.scoreUsers(allUsers) as Float32Array), m.recommend('u4', 5)],
  bad: (m) => m.recommend('nobody', 5), names: /"nobody"/, unfitted: (m) => m.scoreUsers(allUsers),
});
const trees = { nEstimators: 5, seed: 3, nJobs: 1 };

const CASES: Record<LoadableKind, Case> = {
  LinearRegression: matrix({ y: yReg, out: predict }),
  Ridge: matrix({ y: yReg, out: predict, params: { alpha: 2 } }),
  Lasso: matrix({ y: yReg, out: predict, params: { alpha: 0.01 } }),
  LogisticRegression: matrix({ y: yCls, out: proba, params: { C: 0.5 } }),
  StandardScaler: matrix({ out: transform }),
  MinMaxScaler: matrix({ out: transform }),
  SimpleImputer: {
    params: { strategy: 'median' }, fit: (m) => m.fit(withNaN), out: (m) => Array.from(m.transform(withNaN).data),
    bad: (m) => m.transform(narrow), names: /2 columns/,
  },
  OneHotEncoder: {
    params: {}, fit: (m) => m.fit(strings), out: (m) => Array.from(m.transform(strings).data),
    bad: (m) => m.transform([strings[0]]), names: /got 1 columns, fitted on 2/, unfitted: (m) => m.transform(strings),
  },
  ColumnTransformer: {
    params: { numeric: ['a', 'b'], categorical: ['c'], impute: 'mean', scale: 'standard' }, fit: (m) => m.fit(frame),
    out: (m) => Array.from(m.transform(frame).data), bad: (m) => m.transform(noColumnA), names: /column "a"/,
  },
  KMeans: matrix({ out: predict, params: { nClusters: 3, seed: 2 } }),
  MiniBatchKMeans: matrix({ out: predict, params: { nClusters: 3, seed: 2, batchSize: 32 } }),
  DBSCAN: matrix({ out: (m) => Array.from(m.labels), params: { eps: 0.8, minSamples: 4 } }),
  PCA: matrix({ out: transform, params: { nComponents: 2 } }),
  TSNE: {
    ...matrix({ out: (m) => [Array.from(m.embedding.data), Array.from(m.indices)], params: { perplexity: 8, maxIter: 120, exaggerationIter: 50, seed: 4 } }),
    unfitted: (m) => m.embedding,
  },
  DecisionTreeRegressor: matrix({ y: yReg, out: predict, params: { seed: 3, maxDepth: 4 } }),
  DecisionTreeClassifier: matrix({ y: yCls, out: proba, params: { seed: 3, maxDepth: 4 } }),
  RandomForestRegressor: matrix({ y: yReg, out: predict, params: trees }),
  RandomForestClassifier: matrix({ y: yCls, out: proba, params: trees }),
  GradientBoostingRegressor: matrix({ y: yReg, out: predict, params: { nEstimators: 10, subsample: 0.8, seed: 3, nJobs: 1 } }),
  GradientBoostingClassifier: matrix({ y: yCls, out: proba, params: { nEstimators: 10, subsample: 0.8, seed: 3, nJobs: 1 } }),
  als: recommender({ factors: 4, iterations: 3, threads: 1, seed: 1 }),
  ease: recommender({ lambda: 50 }),
  'item-knn': recommender({ k: 10 }),
  popularity: recommender({}),
  Pipeline: {
    params: { task: 'regression' },
    make: () => new Pipeline(
      new ColumnTransformer({ numeric: ['a', 'b'], categorical: ['c'], impute: 'median' }),
      new Ridge({ alpha: 0.5 }),
      { task: 'regression' },
    ),
    fit: (m) => m.fit(frame, frameY), out: (m) => Array.from(m.predict(frame)), bad: (m) => m.predict(noColumnA), names: /column "a"/,
  },
};

test('the contract table covers every kind the factory registers', () => {
  assert.deepEqual(Object.keys(CASES).sort(), estimatorKinds().sort());
  assert.ok(!(constructibleKinds() as string[]).includes('Pipeline'), 'a Pipeline is built from its parts');
});

/** A parameter whose default is a number, to be given a string. */
const numericParam = (m: AnyEstimator) => Object.entries(m.params).find(([, v]) => typeof v === 'number')?.[0];

for (const kind of estimatorKinds()) {
  const c = CASES[kind];
  const make = c.make ?? (() => createByName(kind, c.params));
  test(`${kind}: the estimator contract`, async () => {
    // parameters: unknown names and wrong types are refused, naming the parameter
    if (kind !== 'Pipeline') {
      assert.throws(() => createByName(kind, { ...c.params, notAParam: 1 }), (e: Error) => e instanceof InvalidParameterError && /notAParam/.test(e.message));
      const p = numericParam(make());
      if (p) assert.throws(
        () => createByName(kind, { ...c.params, [p]: 'many' }),
        (e: Error) => e instanceof InvalidParameterError && e.message.includes(`"${p}"`),
        `${kind}.${p}`,
      );
    }
    // use before fit
    assert.throws(() => (c.unfitted ?? c.out)(make()), NotFittedError);
    // fit, and the same answers from a second seeded fit
    const m = make();
    assert.equal(await c.fit(m), m, 'fit returns the estimator');
    const again = make();
    await c.fit(again);
    assert.deepEqual(c.out(again), c.out(m), 'deterministic for the same params and seed');
    // serialise: through JSON text and back, the same answers and the same document
    const json = JSON.parse(JSON.stringify(m.toJSON()));
    assert.equal(json.kind, kind);
    const back = loadEstimator(json, kind);
    assert.equal(back.constructor, m.constructor);
    assert.deepEqual(c.out(back), c.out(m), 'round trip');
    assert.deepEqual(JSON.parse(JSON.stringify(back.toJSON())), json, 'toJSON of the restored model');
    assert.throws(
      () => loadEstimator({ ...json, kind: kind === 'Ridge' ? 'Lasso' : 'Ridge' }, kind),
      (e: Error) => e instanceof InvalidInputError && e.message.includes(kind),
    );
    // parameters round trip: getParams -> new Cls(params) / createEstimator builds the same estimator
    if (kind !== 'Pipeline') {
      const params = m.getParams() as unknown as Record<string, unknown>;
      assert.deepEqual({ ...params }, { ...m.params });
      assert.deepEqual(Object.keys(params).sort(), Object.keys(createByName(kind).getParams()).sort(), 'defaults filled');
      for (const k of Object.keys(params)) {
        if (Array.isArray(params[k])) (params[k] as unknown[]).push('x');
        else params[k] = 'changed';
      }
      assert.deepEqual(m.getParams(), { ...m.params }, 'getParams returns a copy');
      const Ctor = m.constructor as new (p: object) => AnyEstimator;
      const clone = new Ctor(m.getParams());
      assert.deepEqual(clone.getParams(), m.getParams());
      assert.deepEqual(createByName(kind, m.getParams() as Record<string, unknown>).getParams(), m.getParams());
      assert.deepEqual(back.getParams(), m.getParams());
      assert.throws(() => (c.unfitted ?? c.out)(clone), NotFittedError, 'the clone is unfitted');
      await c.fit(clone);
      assert.deepEqual(c.out(clone), c.out(m), 'the clone fits to the same answers');
      // setParams: refused values leave the estimator as it was (fitted, same answers)
      const fitted = c.out(m);
      assert.throws(() => m.setParams({ notAParam: 1 } as never), (e: Error) => e instanceof InvalidParameterError && /notAParam/.test(e.message));
      const p = numericParam(m);
      if (p) assert.throws(() => m.setParams({ [p]: 'many' } as never), InvalidParameterError);
      assert.deepEqual(c.out(m), fitted, 'a refused setParams changes nothing');
      // accepted: the parameters change, the fit is dropped (toJSON would otherwise lie)
      const fresh = createByName(kind);
      assert.equal(fresh.setParams(c.params as never), fresh, 'setParams returns the estimator');
      assert.deepEqual(fresh.getParams(), m.getParams());
      assert.equal(m.setParams({}), m);
      assert.throws(() => (c.unfitted ?? c.out)(m), NotFittedError, 'setParams leaves the estimator unfitted');
      await c.fit(m);
      assert.deepEqual(c.out(m), fitted);
    } else {
      assert.deepEqual({ ...back.params }, c.params);
      assert.deepEqual(back.getParams(), m.getParams());
    }
    // bad input: a clear error naming the field
    const target = c.names === NAN_CELL ? make() : m;
    assert.throws(() => c.bad(target), (e: Error) => e instanceof InvalidInputError && c.names.test(e.message), `${kind}: error must match ${c.names}`);
  });
}

test('Pipeline: nested parameters (model__alpha), set all or nothing, and a pipeline rebuilt from them', () => {
  const make = CASES.Pipeline.make!;
  const m = make() as Pipeline;
  m.fit(frame, frameY);
  const params = m.getParams();
  assert.equal(params.task, 'regression');
  assert.equal(params.model__alpha, 0.5);
  assert.deepEqual(params.encoder__numeric, ['a', 'b']);
  assert.equal(params.encoder__impute, 'median');
  const answers = Array.from(m.predict(frame));
  // refused: an unknown name, an unknown nested name, a bad value of the model or the encoder
  for (const bad of [{ notAParam: 1 }, { model__notAParam: 1 }, { model__alpha: -1 }, { encoder__scale: 'cubic', model__alpha: 3 }, { task: 'clustering' }]) {
    assert.throws(() => m.setParams(bad), InvalidParameterError, JSON.stringify(bad));
    assert.deepEqual(m.getParams(), params, `${JSON.stringify(bad)} changed nothing`);
    assert.deepEqual(Array.from(m.predict(frame)), answers);
  }
  // accepted: the model's alpha changes and the pipeline must be fitted again
  assert.equal(m.setParams({ model__alpha: 20 }), m);
  assert.equal((m.model.getParams() as { alpha: number }).alpha, 20);
  assert.throws(() => m.predict(frame), NotFittedError);
  m.fit(frame, frameY);
  assert.notDeepEqual(Array.from(m.predict(frame)), answers);
  // a pipeline of default parts given these parameters is the same pipeline
  const rebuilt = new Pipeline(new ColumnTransformer(), new Ridge()).setParams(params);
  assert.deepEqual(rebuilt.getParams(), params);
  rebuilt.fit(frame, frameY);
  assert.deepEqual(Array.from(rebuilt.predict(frame)), answers);
});
