// The model registry against SQLite and PostgreSQL: versions, aliases (first version becomes
// champion), promote/rollback history, sha256 verification on load, lineage to lake snapshots.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArtifactIntegrityError, ModelRegistry, NotFoundError, Tracker, configHash, parseModelRef,
} from '../../src/tracking/index.ts';
import { nowIso } from '../../src/metadata/db.ts';
import { backendTest as eachBackend, type Backend } from './backends.ts';

type Body = (b: Backend, registry: ModelRegistry) => Promise<void>;

const backendTest = (name: string, body: Body) => eachBackend(name, (b) => body(b, new ModelRegistry(b.store, { home: b.home, checkSnapshots: false })));

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no change seen within ${ms} ms`)), ms); });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const estimator = (w: number) => ({ kind: 'LinearRegression', format: 1, params: { fitIntercept: true }, state: { coef: [w, 2 * w], intercept: 0.5 } });

describe('model registry', () => {
  backendTest('versions are numbered, the first becomes champion, artifacts round-trip', async (_b, reg) => {
    const v1 = await reg.registerModel('spend', { artifact: estimator(1), metrics: { rmse: 3.2 }, params: { alpha: 0.1 }, by: 'ci' });
    assert.equal(v1.version, 1);
    assert.deepEqual(v1.aliases, ['champion']);
    const v2 = await reg.registerModel('spend', { artifact: JSON.stringify(estimator(2)), metrics: { rmse: 2.9 } });
    assert.equal(v2.version, 2);
    assert.deepEqual(v2.aliases, []);
    await reg.registerModel('other', { artifact: estimator(9) });

    const champ = await reg.loadModel('spend');
    assert.equal(champ.version, 1);
    assert.deepEqual(champ.artifact, estimator(1));
    assert.equal(champ.kind, 'LinearRegression');
    assert.deepEqual(champ.metrics, { rmse: 3.2 });
    assert.deepEqual(champ.params, { alpha: 0.1 });
    assert.equal(champ.createdBy, 'ci');
    assert.deepEqual((await reg.loadModel('spend', 2)).artifact, estimator(2));
    assert.equal((await reg.loadModel('spend', 'latest')).version, 2);
    assert.equal((await reg.loadModel('spend', 'v2')).version, 2);
    assert.deepEqual(await reg.getChampionVersion('spend').then((c) => c?.version), 1);
    assert.equal(await reg.getChampionVersion('spend', 'challenger'), null);

    const versions = await reg.listVersions('spend');
    assert.deepEqual(versions.map((v) => v.version), [2, 1]);
    assert.deepEqual((await reg.listVersions('spend', { before: 2 })).map((v) => v.version), [1]);
    const models = await reg.listModels();
    assert.deepEqual(models.map((m) => [m.name, m.latestVersion, m.champion, m.challenger]), [['other', 1, 1, null], ['spend', 2, 1, null]]);
    const history = await reg.aliasHistory('spend');
    assert.deepEqual(history.map((h) => [h.alias, h.action, h.fromVersion, h.toVersion, h.by]), [['champion', 'register', null, 1, 'ci']]);

    await assert.rejects(reg.loadModel('nope'), /no model named "nope" in the registry/);
    await assert.rejects(reg.loadModel('spend', 7), /model "spend" has no version 7 \(versions 1..2\)/);
    await assert.rejects(reg.loadModel('spend', 'challenger'), /model "spend" has no challenger yet/);
    await assert.rejects(reg.loadModel('spend', 'champoin'), /alias must be one of champion, challenger/);
    await assert.rejects(reg.registerModel('bad name', { artifact: {} }), /model name "bad name"/);
    await assert.rejects(reg.registerModel('spend', { artifact: '{not json' }), /artifact text is not JSON/);
    await assert.rejects(reg.registerModel('spend', { artifact: {}, metrics: { rmse: 'low' as unknown as number } }), /metrics.rmse must be a number/);
    assert.deepEqual(parseModelRef('spend@3'), { name: 'spend', ref: '3' });
    assert.deepEqual(parseModelRef('spend'), { name: 'spend', ref: 'champion' });
  });

  backendTest('promote and rollback move aliases and record who and why', async (_b, reg) => {
    for (let i = 1; i <= 4; i++) await reg.registerModel('churn', { artifact: estimator(i) });
    const p2 = await reg.promote('churn', 2, { by: 'alice', reason: 'better AUC on March' });
    assert.deepEqual(p2, { name: 'churn', alias: 'champion', fromVersion: 1, toVersion: 2, changed: true });
    const again = await reg.promote('churn', 2, { by: 'alice' });
    assert.equal(again.changed, false);
    await reg.promote('churn', 4, { alias: 'challenger', by: 'bob', reason: 'A/B test' });
    await reg.promote('churn', '3', { by: 'bob', reason: 'new features' });
    assert.equal((await reg.loadModel('churn')).version, 3);
    assert.equal((await reg.loadModel('churn', 'challenger')).version, 4);
    assert.deepEqual((await reg.getVersion('churn', 4)).aliases, ['challenger']);

    const r1 = await reg.rollback('churn', { by: 'carol', reason: 'latency regression' });
    assert.deepEqual([r1.fromVersion, r1.toVersion], [3, 2]);
    const r2 = await reg.rollback('churn', { by: 'carol', reason: 'still bad' });
    assert.deepEqual([r2.fromVersion, r2.toVersion], [2, 1]);
    await assert.rejects(reg.rollback('churn', { by: 'carol' }), /cannot roll back champion of model "churn": there is no previous champion/);
    assert.equal((await reg.getChampionVersion('churn'))?.version, 1);
    // the challenger's history is separate
    await assert.rejects(reg.rollback('churn', { alias: 'challenger' }), /no previous challenger/);

    const h = await reg.aliasHistory('churn', 'champion');
    assert.deepEqual(h.map((x) => [x.action, x.fromVersion, x.toVersion, x.by, x.reason]), [
      ['register', null, 1, h[0]!.by, 'first version of the model'],
      ['promote', 1, 2, 'alice', 'better AUC on March'],
      ['promote', 2, 3, 'bob', 'new features'],
      ['rollback', 3, 2, 'carol', 'latency regression'],
      ['rollback', 2, 1, 'carol', 'still bad'],
    ]);
    assert.ok(h.every((x, i) => i === 0 || x.at >= h[i - 1]!.at));
    assert.deepEqual((await reg.aliasHistory('churn', 'challenger')).map((x) => [x.fromVersion, x.toVersion, x.by]), [[null, 4, 'bob']]);
  });

  backendTest('promoting a version that does not exist fails clearly and changes nothing', async (_b, reg) => {
    await reg.registerModel('churn', { artifact: estimator(1) });
    await assert.rejects(reg.promote('churn', 5, { by: 'alice' }), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.match((e as Error).message, /cannot promote model "churn" version 5 to champion: no such version \(versions 1..1\)/);
      return true;
    });
    await assert.rejects(reg.promote('ghost', 1), /no model named "ghost" in the registry/);
    await assert.rejects(reg.promote('churn', 0), /version must be a positive integer/);
    await assert.rejects(reg.promote('churn', 1, { alias: 'prod' }), /alias must be one of champion, challenger/);
    assert.equal((await reg.aliasHistory('churn')).length, 1);
    assert.equal((await reg.getChampionVersion('churn'))?.version, 1);
  });

  backendTest('a corrupted artifact is refused on load naming the model, version and both hashes', async (b, reg) => {
    const v = await reg.registerModel('spend', { artifact: estimator(1) });
    await reg.registerModel('spend', { artifact: estimator(2) });
    const file = join(b.home, v.artifactPath);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"intercept":0.5', '"intercept":0.6'));
    await assert.rejects(reg.loadModel('spend', 'champion'), (e: unknown) => {
      assert.ok(e instanceof ArtifactIntegrityError);
      const err = e as ArtifactIntegrityError;
      assert.equal(err.model, 'spend');
      assert.equal(err.version, 1);
      assert.equal(err.expected, v.sha256);
      assert.notEqual(err.actual, v.sha256);
      assert.match(err.message, new RegExp(`model "spend" version 1: .*corrupted.*sha256 recorded ${v.sha256}, file has ${err.actual}`));
      return true;
    });
    // the other version is untouched and still loads
    assert.deepEqual((await reg.loadModel('spend', 2)).artifact, estimator(2));
    writeFileSync(file, text);
    assert.deepEqual((await reg.loadModel('spend', 1)).artifact, estimator(1));
  });

  backendTest('lineage: lake snapshots checked against the catalog, code version, config hash, seed, run', async (b, _reg) => {
    const { db } = b.store;
    const at = nowIso();
    const table = await db.insertInto('lake_tables').values({
      zone: 'curated',
      name: 'orders',
      created_at: at,
      current_snapshot: 3,
    }).returning('id').executeTakeFirstOrThrow();
    for (const s of [1, 2, 3]) {
      await db.insertInto('lake_snapshots').values({
        table_id: table.id, snapshot_id: s, parent_id: s > 1 ? s - 1 : null, operation: 'append', committed_at: at,
        added_files: 1, removed_files: 0, added_rows: 10, total_rows: 10 * s, summary: '{}',
      }).execute();
    }
    const checked = new ModelRegistry(b.store, { home: b.home });
    const tracker = new Tracker(b.store, { home: b.home });
    const run = await tracker.startRun({ pipeline: 'retail', step: 'train', params: { depth: 4 } });
    await run.logMetric('rmse', 12.5);
    await run.end();
    const config = { target: 'spend', features: ['recency', 'frequency'], depth: 4 };
    const v = await checked.registerModel('spend', {
      artifact: estimator(1), runId: run.id,
      lineage: { snapshots: [{ table: 'curated.orders', snapshot: 2 }], seed: 42, config },
      card: { description: 'Predicts 90-day spend.', intendedUse: 'Marketing budget planning.', features: ['recency', 'frequency'], target: 'spend_90d' },
    });
    assert.deepEqual(v.metrics, { rmse: 12.5 }, 'metrics come from the run when not given');
    assert.deepEqual(v.params, { depth: '4' });
    const got = await checked.getVersion('spend', 1);
    assert.deepEqual(got.lineage.snapshots, [{ table: 'curated.orders', snapshot: 2 }]);
    assert.equal(got.lineage.seed, 42);
    assert.equal(got.lineage.runId, run.id);
    assert.equal(got.lineage.configHash, configHash({ depth: 4, features: ['recency', 'frequency'], target: 'spend' }), 'key order does not change the hash');
    assert.ok(/^[0-9a-f]{40}(-dirty)?$|@/.test(got.lineage.codeVersion));
    for (const s of [
      'Predicts 90-day spend.',
      'Marketing budget planning.',
      '`curated.orders` snapshot 2',
      '`recency`',
      'Target: `spend_90d`',
      '| rmse | 12.5000 |',
      `training run: ${run.id}`,
      'seed: 42',
      `artifact sha256: ${v.sha256}`,
    ]) {
      assert.ok(got.card.includes(s), `card should contain ${s}:\n${got.card}`);
    }
    assert.deepEqual(await checked.versionsTrainedOn('curated.orders'), [{ name: 'spend', version: 1, snapshot: 2 }]);
    assert.deepEqual(await checked.versionsTrainedOn('curated.orders', 3), []);

    await assert.rejects(checked.registerModel('spend', { artifact: {}, lineage: { snapshots: [{ table: 'curated.orders', snapshot: 9 }] } }),
      /lineage.snapshots\[0\]: lake table curated.orders has no snapshot 9 \(current is 3\)/);
    await assert.rejects(checked.registerModel('spend', { artifact: {}, lineage: { snapshots: [{ table: 'raw.nothing', snapshot: 1 }] } }),
      /lineage.snapshots\[0\]: lake table raw.nothing is not in the catalog/);
    await assert.rejects(checked.registerModel('spend', { artifact: {}, lineage: { snapshots: [{ table: 'orders', snapshot: 1 }] } }),
      /lineage.snapshots\[0\].table must be "zone.name"/);
    await assert.rejects(checked.registerModel('spend', { artifact: {}, runId: 'nope' }), /runId nope is not a known run/);
    assert.equal((await checked.listVersions('spend')).length, 1, 'refused registrations allocate no version');
  });

  backendTest('watchChampion reports the current champion and later promotions', async (_b, reg) => {
    await reg.registerModel('m', { artifact: estimator(1) });
    await reg.registerModel('m', { artifact: estimator(2) });
    const seen: (number | null)[] = [];
    let notify: () => void = () => undefined;
    const w = reg.watchChampion('m', (now) => { seen.push(now?.version ?? null); notify(); }, { intervalMs: 20 });
    try {
      // the watcher's timer is unref'd; a ref'd deadline keeps the loop alive while waiting
      await within(new Promise<void>((r) => { notify = r; if (seen.length) r(); }), 10_000);
      const moved = new Promise<void>((r) => { notify = r; });
      await reg.promote('m', 2);
      await within(moved, 10_000);
    } finally {
      w.stop();
    }
    assert.deepEqual(seen, [1, 2]);
  });
});
