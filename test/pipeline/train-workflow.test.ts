// The training command's workflow: columns chosen and excluded with reasons, dates as epoch
// seconds that prediction also takes as ISO strings, k-fold metrics equal to a refit by hand,
// seeded random search reproducible, and a model trained on a raw lake table answering the
// README's one-feature request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/ml/core/rng.ts';
import type { Frame } from '../../src/ml/core/frame.ts';
import { dropColumns, takeFrameRows } from '../../src/ml/data/frame-ops.ts';
import { selectFeatures } from '../../src/ml/data/feature-selection.ts';
import { defaultEncoder } from '../../src/ml/preprocessing/index.ts';
import { Ridge } from '../../src/ml/linear/index.ts';
import { Pipeline } from '../../src/ml/pipeline/pipeline.ts';
import { trainTable } from '../../src/ml/pipeline/train.ts';
import { crossValidateTable } from '../../src/ml/pipeline/cross-validate-table.ts';
import { planTrials, runTrials } from '../../src/ml/pipeline/search-table.ts';
import { KFold } from '../../src/ml/selection/splits.ts';
import { rmse, mae, r2 } from '../../src/ml/metrics/index.ts';
import { peopleStream } from '../../src/events/generators/people.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { buildPredictor, validateRows } from '../../src/serving/predictor.ts';
import { openBackend } from '../tracking/backends.ts';

/** n rows: an event id, a constant, a day, x (numeric), colour; y = 2x + 3 [red] + day trend + noise */
function table(n: number, seed: number): Frame {
  const rng = new Rng(seed);
  const x = new Float64Array(n), day = new Float64Array(n), y = new Float64Array(n);
  const colour: string[] = [], id: string[] = [], kind: string[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = rng.random() * 10;
    day[i] = Date.UTC(2026, 0, 1 + rng.int(300)) / 1000;
    colour.push(['red', 'green', 'blue'][rng.int(3)]!);
    id.push(`ev-${seed}-${i}`); kind.push('person');
    y[i] = 2 * x[i]! + (colour[i] === 'red' ? 3 : 0) + (day[i]! - 1.767e9) / 8.64e6 + rng.normal() * 0.3;
  }
  return {
    length: n,
    columns: new Map<string, Float64Array | (string | null)[]>([['event_id', id], ['type', kind], ['day', day], ['x', x], ['colour', colour], ['y', y]]),
  };
}

test('identifier-like and constant columns are excluded by default and reported; --features and --drop choose', () => {
  const f = table(300, 1);
  const s = selectFeatures(f, { target: 'y' });
  assert.deepEqual(s.features, ['day', 'x', 'colour']);
  assert.deepEqual(s.excluded.map((e) => [e.column, e.reason]), [['event_id', 'identifier-like'], ['type', 'constant']]);
  assert.deepEqual(selectFeatures(f, { target: 'y', drop: ['colour'] }).features, ['day', 'x']);
  assert.deepEqual(selectFeatures(f, { target: 'y', features: ['x'] }).features, ['x']);
  assert.throws(() => selectFeatures(f, { target: 'y', features: ['nope'] }), /column "nope" is not in the table/);
  const { result } = trainTable(f, null, { task: 'regression', target: 'y', model: 'ridge' });
  assert.deepEqual(result.features, ['day', 'x', 'colour']);
  assert.equal(result.excluded.length, 2);
});

test('--alpha means each model\'s L2 strength: ridge alpha, logistic C = 1 / alpha; other models refuse it', () => {
  const f = table(200, 2);
  const ridge = trainTable(f, null, { task: 'regression', target: 'y', model: 'ridge', alpha: 5 }).pipeline.model as unknown as { params: { alpha: number } };
  assert.equal(ridge.params.alpha, 5);
  const cls = {
    length: f.length,
    columns: new Map([...f.columns].map(([k, v]) => [k, k === 'y' ? Array.from(v as Float64Array, (t) => (t > 10 ? 'high' : 'low')) : v])),
  } as Frame;
  const logistic = trainTable(
    cls,
    null,
    { task: 'classification', target: 'y', model: 'logistic', alpha: 4 },
  ).pipeline.model as unknown as { params: { C: number } };
  assert.equal(logistic.params.C, 0.25);
  assert.throws(() => trainTable(f, null, { task: 'regression', target: 'y', model: 'gbdt', alpha: 1 }), /gbdt has no L2 strength/);
});

test('k-fold metrics equal a fold-by-fold refit computed by hand', () => {
  const f = table(240, 3);
  const opts = { task: 'regression' as const, target: 'y', model: 'ridge', alpha: 0.5, seed: 11, dates: ['day'], scale: 'standard' as const };
  const cv = crossValidateTable(f, opts, 4);
  assert.equal(cv.folds.length, 4);
  const folds = new KFold(4, { shuffle: true, seed: 11 }).split(f.length);
  folds.forEach((fold, k) => {
    const train = takeFrameRows(f, Array.from(fold.train)), test = takeFrameRows(f, Array.from(fold.test));
    const enc = defaultEncoder(train, { target: 'y', exclude: ['event_id', 'type'], scale: 'standard' });
    const p = new Pipeline(enc, new Ridge({ alpha: 0.5 }), { task: 'regression' }).fit(dropColumns(train, ['y']), train.columns.get('y') as Float64Array);
    const yt = test.columns.get('y') as Float64Array, pred = p.predict(dropColumns(test, ['y']));
    assert.equal(cv.folds[k]!.n_test, test.length);
    assert.equal(cv.folds[k]!.metrics.rmse, rmse(yt, pred));
    assert.equal(cv.folds[k]!.metrics.mae, mae(yt, pred));
    assert.equal(cv.folds[k]!.metrics.r2, r2(yt, pred));
  });
  const mean = cv.folds.reduce((s, x) => s + x.metrics.rmse!, 0) / 4;
  assert.ok(Math.abs(cv.mean.rmse! - mean) < 1e-12);
  assert.ok(cv.std.rmse! > 0);
  const time = crossValidateTable(f, opts, 'time');
  assert.equal(time.folds.length, 5);
  assert.ok(time.folds.every((x, i) => i === 0 || x.n_train > time.folds[i - 1]!.n_train), 'expanding windows');
});

test('random search with a seed is reproducible: the same trials and the same scores, in parallel workers', async () => {
  const space = { trees: [5, 10, 20], depth: [2, 4, 6, 8] };
  const a = planTrials(space, 'random', 4, 9), b = planTrials(space, 'random', 4, 9);
  assert.deepEqual(a, b);
  assert.equal(new Set(a.map((p) => JSON.stringify(p))).size, 4, 'drawn without repeats');
  assert.notDeepEqual(planTrials(space, 'random', 4, 10), a, 'another seed, other trials');
  assert.equal(planTrials(space, 'grid', undefined, 0).length, 12);
  const f = table(200, 4);
  const base = { task: 'regression' as const, target: 'y', model: 'random-forest', seed: 3 };
  const r1 = await runTrials(f, base, a, 2), r2_ = await runTrials(f, base, a, 1);
  assert.deepEqual(r1.map((r) => r.params), a);
  assert.deepEqual(r1.map((r) => (r.result as { rmse: number }).rmse), r2_.map((r) => (r.result as { rmse: number }).rmse), 'workers and this thread agree');
});

test('dates train as epoch seconds and prediction takes them as ISO 8601 strings too', () => {
  const f = table(300, 5);
  const { pipeline } = trainTable(f, null, { task: 'regression', target: 'y', model: 'ridge', dates: ['day'] });
  const predictor = buildPredictor(JSON.parse(JSON.stringify(pipeline.toJSON())));
  assert.deepEqual(predictor.inputs.find((i) => i.name === 'day'), { name: 'day', kind: 'numeric', date: true });
  const iso = [{ day: '2026-06-01', x: 3, colour: 'red' }, { day: '2026-06-01T12:00:00Z', x: 3, colour: 'red' }];
  const secs = [{ day: Date.UTC(2026, 5, 1) / 1000, x: 3, colour: 'red' }, { day: Date.UTC(2026, 5, 1, 12) / 1000, x: 3, colour: 'red' }];
  validateRows('m', predictor.inputs, iso, predictor.nullable);
  assert.deepEqual(predictor.predict(iso).predictions, predictor.predict(secs).predictions);
  assert.throws(() => validateRows('m', predictor.inputs, [{ day: 'June', x: 3, colour: 'red' }]), /rows\[0\]\.day must be an ISO 8601 date/);
  assert.throws(() => validateRows('m', predictor.inputs, [{ day: 1, x: 'three', colour: 'red' }]), /rows\[0\]\.x must be a finite number/);
});

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

test('a model trained on the raw lake table lake:raw.person answers the README\'s request {"rows":[{"age":35}]}', async () => {
  const b = (await openBackend('sqlite'))!;
  try {
    const cli = (...args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
        env: { ...process.env, TRIBUTARY_HOME: b.home, DATABASE_URL: '', TRIBUTARY_THREADS: '1' },
        encoding: 'utf8',
        cwd: b.home,
      });
      assert.equal(r.status, 0, `tributary ${args.join(' ')} failed:\n${r.stderr}`);
      return r.stdout;
    };
    const file = join(b.home, 'people.ndjson');
    const it = peopleStream({ seed: 5 });
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(JSON.stringify(it.next().value));
    writeFileSync(file, lines.join('\n') + '\n');
    cli('ingest', file, '--table', 'raw.person');
    // every column by default: the identifiers and the constant type are left out, and said so
    const all = JSON.parse(cli('train', 'regression', '--data', 'lake:raw.person', '--target', 'income', '--model', 'ridge', '--json'));
    const excluded = new Map((all.excluded as { column: string; reason: string }[]).map((e) => [e.column, e.reason]));
    for (const c of ['event_id', 'person_id', 'name']) assert.equal(excluded.get(c), 'identifier-like', c);
    assert.equal(excluded.get('type'), 'constant');
    assert.ok(!all.features.includes('event_id'));
    // the README's model: income from age
    const one = JSON.parse(cli(
      'train',
      'regression',
      '--data',
      'lake:raw.person',
      '--target',
      'income',
      '--model',
      'gbdt',
      '--rounds',
      '20',
      '--features',
      'age',
      '--register',
      'people',
      '--json',
    ));
    assert.deepEqual(one.features, ['age']);
    const model = await new ModelRegistry(b.store, { home: b.home }).loadModel('people', 'champion');
    const predictor = buildPredictor(model.artifact);
    const rows = [{ age: 35 }];
    validateRows('people', predictor.inputs, rows, predictor.nullable);
    const [p] = predictor.predict(rows).predictions;
    assert.ok(typeof p === 'number' && p > 0, `a positive income, got ${p}`);
  } finally { await b.dispose(); }
});
