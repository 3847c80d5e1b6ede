import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Pipeline } from '../../src/ml/pipeline/index.ts';
import { trainTable } from '../../src/ml/pipeline/train.ts';
import { defaultEncoder } from '../../src/ml/preprocessing/index.ts';
import { LinearRegression, LogisticRegression, Ridge } from '../../src/ml/linear/index.ts';
import { KMeans } from '../../src/ml/cluster/index.ts';
import { PCA } from '../../src/ml/decomposition/index.ts';
import { loadEstimator, createByName, createEstimator, estimatorKinds } from '../../src/ml/registry.ts';
import { loadTable } from '../../src/features/table-loader.ts';
import { frameFromRecords, type Frame } from '../../src/ml/core/frame.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { NotFittedError } from '../../src/ml/core/errors.ts';
import { gaussian } from './helpers.ts';

function table(n: number, seed: number): Record<string, unknown>[] {
  const r = new Rng(seed);
  const shift: Record<string, number> = { red: 0, green: 4, blue: -3 };
  return Array.from({ length: n }, (_, i) => {
    const a = r.normal(), b = r.normal() * 10;
    const color = ['red', 'green', 'blue'][r.int(3)]!;
    return { a: i % 17 === 0 ? null : a, b, color, y: 2 * (i % 17 === 0 ? 0 : a) + 0.5 * b + shift[color]! + 1 };
  });
}

test('Pipeline: exact fit through imputation and one-hot; ONNX spec combines encoder and model', () => {
  const frame = frameFromRecords(table(300, 1));
  const y = frame.columns.get('y') as Float64Array;
  const X = { length: frame.length, columns: new Map([...frame.columns].filter(([k]) => k !== 'y')) };
  const enc = defaultEncoder(X);
  // the imputed value of "a" is its mean, so make y consistent with that before fitting
  const p = new Pipeline(enc, new LinearRegression(), { task: 'regression' });
  const aCol = X.columns.get('a') as Float64Array;
  let mean = 0, cnt = 0;
  for (const v of aCol) if (!Number.isNaN(v)) { mean += v; cnt++; }
  mean /= cnt;
  const yy = y.map((v, i) => (Number.isNaN(aCol[i]!) ? v + 2 * mean : v));
  p.fit(X, yy);
  const pred = p.predict(X);
  for (let i = 0; i < 300; i++) assert.ok(Math.abs(pred[i]! - yy[i]!) < 1e-9, `row ${i}`);
  const spec = p.toOnnxSpec();
  assert.deepEqual(spec.inputs.map((i) => i.name), ['a', 'b', 'color']);
  assert.deepEqual(spec.inputs[2], { name: 'color', kind: 'categorical', categories: ['blue', 'green', 'red'] });
  assert.ok(Math.abs(spec.imputeNumeric![0]! - mean) < 1e-12);
  assert.equal(spec.model.type, 'linear');
  const back = loadEstimator(JSON.parse(JSON.stringify(p.toJSON())), 'Pipeline');
  assert.deepEqual(Array.from(back.predict(X)), Array.from(pred));
  // an unseen category encodes as zeros, not an error
  const unseen = frameFromRecords([{ a: 0, b: 0, color: 'purple' }]);
  assert.equal(back.predict(unseen).length, 1);
  assert.throws(() => new Pipeline(defaultEncoder(X), new Ridge()).predict(X), NotFittedError);
});

test('Pipeline classification: string labels, probabilities, JSON round trip', () => {
  const recs = table(400, 2).map((r) => ({ ...r, label: (r.y as number) > 3 ? 'high' : 'low' }));
  const frame = frameFromRecords(recs);
  const labels = frame.columns.get('label') as string[];
  const X = { length: frame.length, columns: new Map([...frame.columns].filter(([k]) => k !== 'label' && k !== 'y')) };
  const p = new Pipeline(defaultEncoder(X), new LogisticRegression({ C: 10 }), { task: 'classification' }).fit(X, labels);
  assert.deepEqual(p.classes, ['high', 'low']);
  const predicted = p.predictLabels(X);
  const acc = predicted.filter((l, i) => l === labels[i]).length / 400;
  assert.ok(acc > 0.95, `accuracy ${acc}`);
  const back = loadEstimator(JSON.parse(JSON.stringify(p.toJSON())), 'Pipeline');
  assert.deepEqual(Array.from(back.predictProba(X).data), Array.from(p.predictProba(X).data));
  assert.deepEqual(back.toOnnxSpec().model.type, 'linear');
});

test('registry: every kind round-trips; unknown kinds and parameters are rejected', () => {
  assert.ok(estimatorKinds().includes('RandomForestRegressor'));
  const X = gaussian(60, 3, 1);
  const y = Float64Array.from({ length: 60 }, (_, i) => X.data[i * 3]! - X.data[i * 3 + 1]!);
  for (const m of [new Ridge({ alpha: 0.5 }).fit(X, y), new KMeans({ nClusters: 3 }).fit(X), new PCA({ nComponents: 2 }).fit(X)]) {
    const back = loadEstimator(JSON.parse(JSON.stringify(m.toJSON())));
    assert.equal(back.constructor, m.constructor);
    assert.deepEqual(back.toJSON(), m.toJSON());
  }
  const rf = createEstimator('RandomForestRegressor', { nEstimators: 5, seed: 1, nJobs: 1 }).fit(X, y);
  const rf2 = loadEstimator(JSON.parse(JSON.stringify(rf.toJSON())), 'RandomForestRegressor');
  assert.deepEqual(Array.from(rf2.predict(X)), Array.from(rf.predict(X)));
  assert.throws(() => loadEstimator({ kind: 'Nope', format: 1, params: {}, state: null }), /unknown kind "Nope"/);
  assert.throws(() => createByName('Ridge', { lambda: 1 }), /unknown parameter "lambda"/);
});

async function writeFixtures(): Promise<{ dir: string; csv: string; gz: string; tsv: string; parquet: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ml-'));
  const lines = ['id,price,city,when', '1,2.5,Paris,2024-01-02', '2,,Oslo,2024-01-03', '3,7,,2024-01-04'];
  const csv = join(dir, 't.csv'), gz = join(dir, 't.csv.gz'), tsv = join(dir, 't.tsv'), parquet = join(dir, 't.parquet');
  writeFileSync(csv, lines.join('\n') + '\n');
  writeFileSync(gz, gzipSync(lines.join('\n') + '\n'));
  writeFileSync(tsv, lines.map((l) => l.replaceAll(',', '\t')).join('\n') + '\n');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  await conn.run(`COPY (SELECT * FROM read_csv_auto('${csv}')) TO '${parquet}' (FORMAT parquet)`);
  conn.closeSync(); inst.closeSync();
  return { dir, csv, gz, tsv, parquet };
}

test('loadTable reads CSV, gzip CSV, TSV, Parquet and SQL into the same Frame', async () => {
  const f = await writeFixtures();
  const frames: Frame[] = [];
  for (const p of [f.csv, f.gz, f.tsv, f.parquet]) frames.push(await loadTable(p));
  frames.push(await loadTable({ sql: `SELECT * FROM read_csv_auto('${f.csv}') ORDER BY id` }));
  for (const fr of frames) {
    assert.equal(fr.length, 3);
    assert.deepEqual([...fr.columns.keys()], ['id', 'price', 'city', 'when']);
    assert.deepEqual(Array.from(fr.columns.get('price') as Float64Array), [2.5, NaN, 7]);
    assert.deepEqual(fr.columns.get('city'), ['Paris', 'Oslo', null]);
    // dates become epoch seconds
    assert.equal((fr.columns.get('when') as Float64Array)[0], Date.UTC(2024, 0, 2) / 1000);
  }
  await assert.rejects(loadTable(join(f.dir, 'missing.csv')), /no such file: /);
  await assert.rejects(loadTable(f.csv, { columns: ['nope'] }), /column "nope" not found/);
});

test('trainTable: regression and classification on a generated table, deterministic for a seed', () => {
  const frame = frameFromRecords(table(1000, 3).map((r) => ({ ...r, klass: (r.y as number) > 3 ? 'a' : 'b' })));
  const reg = { length: frame.length, columns: new Map([...frame.columns].filter(([k]) => k !== 'klass')) };
  const r = trainTable(reg, null, { task: 'regression', target: 'y', model: 'ridge', alpha: 1e-6, seed: 1 });
  assert.equal(r.result.task, 'regression');
  if (r.result.task !== 'regression') return;
  assert.equal(r.result.n_test, 200);
  // the only noise is the mean-imputed rows of "a"
  assert.ok(r.result.r2 > 0.95, `r2 ${r.result.r2}`);
  const again = trainTable(reg, null, { task: 'regression', target: 'y', model: 'ridge', alpha: 1e-6, seed: 1 });
  assert.equal(again.result.task === 'regression' && again.result.rmse, r.result.rmse);
  const cls = { length: frame.length, columns: new Map([...frame.columns].filter(([k]) => k !== 'y')) };
  const c = trainTable(cls, null, { task: 'classification', target: 'klass', model: 'random-forest', trees: 20, seed: 0 });
  assert.ok(c.result.task === 'classification' && c.result.accuracy > 0.85 && c.result.auc > 0.9, JSON.stringify(c.result));
  assert.throws(() => trainTable(reg, null, { task: 'regression', target: 'y', model: 'svm' }), /unknown regression model "svm"/);
  assert.throws(() => trainTable(reg, null, { task: 'regression', target: 'nope', model: 'ridge' }), /column "nope" not found/);
});
