// `tributary runs ...` and `tributary models ...` as a user runs them (child processes with
// TRIBUTARY_HOME / DATABASE_URL), on SQLite and PostgreSQL, including ONNX export of a
// registered model whose predictions are checked with onnxruntime.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelRegistry, Tracker } from '../../src/tracking/index.ts';
import { LinearRegression } from '../../src/ml/linear/ridge.ts';
import { fromRows } from '../../src/ml/core/matrix.ts';
import { runOnnx } from '../../src/ml/onnx/runtime.ts';
import { BACKENDS, PG_URL, openBackend, type Backend } from './backends.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/cli.ts', import.meta.url));
// absolute, because the CLI runs in the temp home (no tributary.config.json from the checkout)
const TSX = import.meta.resolve('tsx');

function cli(b: Backend, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_HOME: b.home, TRIBUTARY_USER: 'cli-user' };
  if (b.databaseUrl) env.DATABASE_URL = b.databaseUrl;
  else delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, ['--import', TSX, FIXTURE, ...args], { env, encoding: 'utf8', cwd: b.home });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(b: Backend, ...args: string[]): string {
  const r = cli(b, ...args);
  assert.equal(r.status, 0, `tributary ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

describe('runs and models CLI', () => {
  for (const kind of BACKENDS) {
    it(`list, show, compare, promote, rollback and export [${kind}]`, async (t) => {
      const b = await openBackend(kind);
      if (!b) return t.skip(`PostgreSQL not reachable at ${PG_URL}`);
      try {
        const tracker = new Tracker(b.store, { home: b.home });
        const registry = new ModelRegistry(b.store, { home: b.home, checkSnapshots: false });
        // y = 3 x0 - 2 x1 + 1, exactly: a linear model recovers it
        const rows = Array.from({ length: 40 }, (_, i) => [i % 7, (i * 3) % 11]);
        const X = fromRows(rows);
        const y = Float64Array.from(rows, ([a, c]) => 3 * a! - 2 * c! + 1);
        const ids: string[] = [];
        for (const alpha of [0.1, 1]) {
          const run = await tracker.startRun({ pipeline: 'spend', step: 'train', params: { alpha } });
          const model = await run.stage('fit', () => new LinearRegression().fit(X, y));
          await run.logMetric('rmse', alpha * 2);
          await run.end();
          ids.push(run.id);
          await registry.registerModel('spend', { artifact: model.toJSON(), runId: run.id, card: { intendedUse: 'tests' }, by: 'trainer' });
        }

        const list = JSON.parse(ok(b, 'runs', 'list', '--json'));
        assert.deepEqual(new Set(list.runs.map((r: { id: string }) => r.id)), new Set(ids));
        const filtered = JSON.parse(ok(b, 'runs', 'list', '--filter', 'metrics.rmse < 1', '--json'));
        assert.deepEqual(filtered.runs.map((r: { id: string }) => r.id), [ids[0]]);
        const text = ok(b, 'runs', 'list');
        assert.match(text, /spend\s+train\s+finished/);
        const shown = JSON.parse(ok(b, 'runs', 'show', ids[0]!, '--json', '--metric', 'rmse'));
        assert.deepEqual(shown.params, { alpha: '0.1' });
        assert.deepEqual(shown.curve.points.map((p: { value: number }) => p.value), [0.2]);
        assert.deepEqual(shown.stages.map((s: { name: string }) => s.name), ['fit']);
        assert.match(ok(b, 'runs', 'show', ids[0]!), /params[\s\S]*alpha\s+0\.1/);
        const cmp = ok(b, 'runs', 'compare', ...ids);
        assert.match(cmp, /params\.alpha\s+0\.1\s+1/);
        assert.match(cmp, /metrics\.rmse\s+0\.2\s+2/);
        const missing = cli(b, 'runs', 'show', 'nope');
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /error: no run with id "nope"/);

        const models = JSON.parse(ok(b, 'models', 'list', '--json')).models;
        assert.deepEqual(
          models.map((m: { name: string; champion: number; latestVersion: number }) => [m.name, m.champion, m.latestVersion]),
          [['spend', 1, 2]],
        );
        assert.match(ok(b, 'models', 'promote', 'spend', '2', '--reason', 'lower rmse'), /spend: champion v1 -> v2/);
        assert.match(ok(b, 'models', 'promote', 'spend', '2', '--alias', 'challenger'), /challenger v- -> v2/);
        const bad = cli(b, 'models', 'promote', 'spend', '9');
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /cannot promote model "spend" version 9 to champion: no such version/);
        const detail = JSON.parse(ok(b, 'models', 'show', 'spend', '--json'));
        assert.deepEqual(detail.aliasHistory.map((h: {
          action: string;
          to: number;
          toVersion: number;
          by: string;
          reason: string;
        }) => [h.action, h.toVersion, h.by, h.reason]), [
          ['register', 1, 'trainer', 'first version of the model'], ['promote', 2, 'cli-user', 'lower rmse'], ['promote', 2, 'cli-user', null],
        ]);
        assert.match(ok(b, 'models', 'show', 'spend@champion'), /# Model card: spend v2[\s\S]*tests/);
        assert.match(ok(b, 'models', 'rollback', 'spend', '--reason', 'bad canary'), /champion v2 -> v1 \(rolled back\)/);
        assert.equal((await registry.getChampionVersion('spend'))?.version, 1);

        const out = join(b.home, 'spend.onnx');
        assert.match(ok(b, 'models', 'export', 'spend@2', '--format', 'onnx', '--out', out), /spend v2 -> .*spend\.onnx \(onnx, \d+ bytes/);
        const pred = await runOnnx(readFileSync(out), rows.map(([a, c]) => ({ f0: a, f1: c })));
        for (let i = 0; i < rows.length; i++) {
          assert.ok(Math.abs(pred.prediction[i]! - y[i]!) < 1e-3 * (1 + Math.abs(y[i]!)), `row ${i}: ${pred.prediction[i]} vs ${y[i]}`);
        }
        const fmt = cli(b, 'models', 'export', 'spend', '--format', 'pmml', '--out', out);
        assert.match(fmt.stderr, /--format: only "onnx" is supported/);
      } finally {
        await b.dispose();
      }
    });
  }
});
