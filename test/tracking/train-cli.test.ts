// `tributary train ...` end to end, as a user runs it (the real bin, child processes), on a real
// lake (ingested Parquet snapshots, catalog in SQLite or PostgreSQL): every training is a run
// with params, metrics, stages and the model artifact; --register makes a version with lineage
// back to the lake snapshots; retraining from the same pinned snapshot and seed gives a
// byte-identical artifact; --search trials are child runs; export to ONNX gives the same
// predictions under onnxruntime-node and passes onnx.checker; a corrupted artifact is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTable } from '../../src/features/table-loader.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { dropColumns } from '../../src/ml/data/frame-ops.ts';
import { runOnnx } from '../../src/ml/onnx/runtime.ts';
import { loadEstimator } from '../../src/ml/registry.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { assertClose, checkWithPythonOnnx, hasPythonOnnx, NO_PYTHON_ONNX } from '../ml/onnx/helpers.ts';
import { BACKENDS, PG_URL, openBackend, type Backend } from './backends.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

function cli(b: Backend, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_HOME: b.home, TRIBUTARY_USER: 'trainer', TRIBUTARY_THREADS: '2' };
  if (b.databaseUrl) env.DATABASE_URL = b.databaseUrl;
  else delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { env, encoding: 'utf8', cwd: b.home });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(b: Backend, ...args: string[]): string {
  const r = cli(b, ...args);
  assert.equal(r.status, 0, `tributary ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

const json = (b: Backend, ...args: string[]) => JSON.parse(ok(b, ...args, '--json'));

/** spend = 3 x0 - 2 x1 + 4 [color = red] + noise */
function writeCsv(path: string, n: number, seed: number): void {
  const rng = new Rng(seed);
  const lines = ['x0,x1,color,spend'];
  for (let i = 0; i < n; i++) {
    const x0 = rng.random() * 10, x1 = rng.random() * 5, color = ['red', 'green', 'blue'][rng.int(3)]!;
    const spend = 3 * x0 - 2 * x1 + (color === 'red' ? 4 : 0) + rng.normal() * 0.5;
    lines.push(`${x0.toFixed(4)},${x1.toFixed(4)},${color},${spend.toFixed(4)}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

describe('tributary train: tracked runs, registry, pinned snapshots, ONNX', () => {
  for (const kind of BACKENDS) {
    it(`trains from the lake, registers with lineage, retrains byte-identically, exports [${kind}]`, async (t) => {
      const b = await openBackend(kind);
      if (!b) return t.skip(`PostgreSQL not reachable at ${PG_URL}`);
      // the CLI opens its own store; ours is only for reading the registry back
      try {
        const first = join(b.home, 'spend-1.csv'), second = join(b.home, 'spend-2.csv');
        writeCsv(first, 240, 1);
        writeCsv(second, 120, 2);
        assert.match(ok(b, 'ingest', first, '--table', 'raw.spend'), /snapshot 1/);

        // 1. train from the lake's current snapshot and register: v1, champion
        const gbdt = [
          'train',
          'regression',
          '--data',
          'lake:raw.spend',
          '--target',
          'spend',
          '--model',
          'gbdt',
          '--rounds',
          '25',
          '--depth',
          '3',
          '--seed',
          '7',
        ];
        const first1 = cli(b, ...gbdt, '--register', 'spend', '--json');
        assert.equal(first1.status, 0, first1.stderr);
        const v1 = JSON.parse(first1.stdout);
        // progress: a line per stage on stderr as it ends (stdout keeps the one JSON object)
        assert.match(first1.stderr, /\[train 1\/4\] load .*240 training rows/);
        assert.match(first1.stderr, /\[train 2\/4\] fit and evaluate .*gbdt/);
        assert.match(first1.stderr, /\[train 4\/4\] register .*spend v1/);
        assert.match(first1.stderr, /\[train\] done in .*: run /);
        assert.deepEqual(v1.snapshots, [{ table: 'raw.spend', snapshot: 1 }]);
        assert.deepEqual(v1.registered.aliases, ['champion']);
        assert.equal(v1.registered.version, 1);
        assert.ok(v1.r2 > 0.8, `r2 ${v1.r2}`);

        // the run: params, metrics, stage durations, the artifact
        const run = json(b, 'runs', 'show', v1.run_id);
        assert.equal(run.status, 'finished');
        assert.equal(run.pipeline, 'train');
        assert.equal(run.step, 'regression');
        assert.deepEqual(
          [run.params.model, run.params.rounds, run.params.seed, run.params.data, run.params.snapshots],
          ['gbdt', '25', '7', 'lake:raw.spend', 'raw.spend@1'],
        );
        for (const m of ['rmse', 'mae', 'r2', 'fit_s', 'n_train', 'n_test']) assert.equal(typeof run.metrics[m], 'number', m);
        assert.deepEqual(run.stages.map((s: { name: string }) => s.name), ['load', 'fit', 'save', 'register']);
        // a named pipeline run: each step a child run
        const steps = json(b, 'runs', 'list', '--parent', v1.run_id);
        assert.deepEqual(steps.runs.map((r: { step: string }) => r.step).sort(), ['fit', 'load', 'register', 'save']);
        assert.ok(run.stages.every((s: { durationMs: number }) => s.durationMs >= 0));
        assert.deepEqual(run.artifacts.map((a: { name: string; sha256: string }) => [a.name, a.sha256]), [['model.json', v1.artifact_sha256]]);
        assert.equal(run.tags.registered_model, 'spend');

        // 2. new data lands (snapshot 2); retraining pinned to snapshot 1 with the same seed
        //    gives the same bytes; unpinned it reads snapshot 2 and differs
        assert.match(ok(b, 'ingest', second, '--table', 'raw.spend'), /snapshot 2/);
        const v2 = json(b, ...gbdt, '--snapshot', 'raw.spend@1', '--register', 'spend');
        assert.equal(v2.registered.version, 2);
        assert.deepEqual(v2.snapshots, [{ table: 'raw.spend', snapshot: 1 }]);
        assert.equal(v2.registered.sha256, v1.registered.sha256, 'same snapshot + seed => byte-identical model');
        assert.equal(v2.config_hash, v1.config_hash);
        const v3 = json(b, ...gbdt, '--register', 'spend');
        assert.deepEqual(v3.snapshots, [{ table: 'raw.spend', snapshot: 2 }]);
        assert.notEqual(v3.registered.sha256, v1.registered.sha256);
        assert.deepEqual(v3.registered.aliases, [], 'only the first version becomes champion by itself');

        const registry = new ModelRegistry(b.store, { home: b.home });
        const info = await registry.getVersion('spend', 2);
        assert.deepEqual(info.lineage.snapshots, [{ table: 'raw.spend', snapshot: 1 }]);
        assert.equal(info.lineage.seed, 7);
        assert.equal(info.lineage.configHash, v1.config_hash);
        assert.match(info.lineage.codeVersion, /^([0-9a-f]{40}(-dirty)?|tributary@.+)$/);
        assert.equal(info.runId, v2.run_id);
        assert.match(info.card, /raw\.spend` snapshot 1[\s\S]*## Features[\s\S]*`x0`[\s\S]*Target: `spend`[\s\S]*\| rmse \|/);
        assert.doesNotMatch(info.card, /`dt`/, 'the lake partition key is not a feature');
        assert.deepEqual((await registry.versionsTrainedOn('raw.spend', 1)).map((v) => v.version), [1, 2]);

        // a forest (worker threads) is just as reproducible; its search trials are child runs
        const forest = [
          'train',
          'regression',
          '--data',
          'lake:raw.spend',
          '--target',
          'spend',
          '--model',
          'random-forest',
          '--trees',
          '8',
          '--seed',
          '3',
          '--snapshot',
          'raw.spend@2',
        ];
        const f1 = json(b, ...forest, '--search', 'depth=3,6', '--search', 'trees=4,8', '--register', 'spend-forest');
        const f2 = json(b, ...forest, '--search', 'depth=3,6', '--search', 'trees=4,8', '--register', 'spend-forest');
        assert.equal(f2.registered.sha256, f1.registered.sha256, 'a pinned, seeded search picks and trains the same forest');
        assert.equal(f1.trials.length, 4);
        const parent = json(b, 'runs', 'show', f1.run_id);
        const searchStep = json(b, 'runs', 'list', '--parent', f1.run_id).runs.find((r: { step: string }) => r.step === 'search');
        const trials = json(b, 'runs', 'list', '--parent', searchStep.id);
        assert.deepEqual(new Set(trials.runs.map((r: { id: string }) => r.id)), new Set(f1.trials.map((tr: { runId: string }) => tr.runId)));
        assert.ok(trials.runs.every((r: { step: string; status: string; metrics: { rmse: number } }) => r.step === 'trial' &&
          r.status === 'finished' && r.metrics.rmse > 0));
        assert.equal(parent.childRunIds.length, 5, 'one child run per step: load, search, fit, save, register');
        assert.equal(parent.params.best_trial_run, f1.trials.reduce((a: { score: number }, c: { score: number }) => (c.score < a.score ? c : a)).runId);
        assert.deepEqual(parent.stages.map((s: { name: string }) => s.name), ['load', 'search', 'fit', 'save', 'register']);
        const top = json(b, 'runs', 'list', '--top-level', '--limit', '1000');
        assert.equal(top.runs.length, 5, 'five trainings, their trials nested under them');

        // promote / rollback with who and why; a missing version fails clearly
        assert.match(ok(b, 'models', 'promote', 'spend', '3', '--alias', 'challenger', '--reason', 'newer data'), /challenger v- -> v3/);
        const missing = cli(b, 'models', 'promote', 'spend', '42');
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /error: cannot promote model "spend" version 42 to champion: no such version \(versions 1\.\.3\)/);
        assert.match(ok(b, 'models', 'promote', 'spend', '3', '--reason', 'canary passed'), /champion v1 -> v3/);
        const history = await registry.aliasHistory('spend');
        assert.deepEqual(history.map((h) => [h.alias, h.action, h.toVersion, h.by, h.reason]), [
          ['champion', 'register', 1, 'trainer', 'first version of the model'],
          ['challenger', 'promote', 3, 'trainer', 'newer data'],
          ['champion', 'promote', 3, 'trainer', 'canary passed'],
        ]);

        // export the champion; onnxruntime-node predicts what our pipeline predicts
        const test = await loadTable(second);
        const X = dropColumns(test, ['spend']);
        const onnxFile = join(b.home, 'spend.onnx');
        assert.match(ok(b, 'models', 'export', 'spend', '--format', 'onnx', '--out', onnxFile), /spend v3 -> .*spend\.onnx \(onnx/);
        const champion = await registry.loadModel('spend');
        const ours = loadEstimator(champion.artifact, 'Pipeline').predict(X);
        const bytes = readFileSync(onnxFile);
        assertClose((await runOnnx(bytes, X)).prediction, ours, 'gbdt regression via onnxruntime');
        if (hasPythonOnnx()) checkWithPythonOnnx(bytes);
        else t.diagnostic(NO_PYTHON_ONNX);

        // a (three-class) classifier too: probabilities from onnxruntime equal ours
        const cls = json(
          b,
          'train',
          'classification',
          '--data',
          'lake:raw.spend',
          '--target',
          'color',
          '--model',
          'gbdt',
          '--rounds',
          '15',
          '--seed',
          '1',
          '--register',
          'colour',
        );
        assert.equal(cls.registered.version, 1);
        const clsFile = join(b.home, 'colour.onnx');
        ok(b, 'models', 'export', 'colour@1', '--out', clsFile);
        const clsModel = loadEstimator((await registry.loadModel('colour', 1)).artifact, 'Pipeline');
        const clsBytes = readFileSync(clsFile);
        const Xc = dropColumns(test, ['color']);
        assertClose((await runOnnx(clsBytes, Xc)).probabilities!.data, clsModel.predictProba(Xc).data, 'gbdt classifier probabilities via onnxruntime');
        if (hasPythonOnnx()) checkWithPythonOnnx(clsBytes);

        // a corrupted artifact is refused with a clear error, by the CLI and the API
        const v3Info = await registry.getVersion('spend', 3);
        const path = join(b.home, v3Info.artifactPath);
        const text = readFileSync(path, 'utf8');
        const at = text.search(/\d(?=\D*$)/); // the last digit: one changed coefficient
        writeFileSync(path, text.slice(0, at) + String((Number(text[at]) + 1) % 10) + text.slice(at + 1));
        const refused = cli(b, 'models', 'export', 'spend', '--out', join(b.home, 'x.onnx'));
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /error: model "spend" version 3: artifact .* is corrupted or was modified \(sha256 recorded [0-9a-f]{64}, file has [0-9a-f]{64}\); refusing to load it/);
        await assert.rejects(registry.loadModel('spend'), { name: 'ArtifactIntegrityError' });
        assert.equal((await registry.loadModel('spend', 1)).version, 1, 'other versions still load');

        // bad usage fails clearly
        assert.match(cli(b, ...gbdt, '--snapshot', 'raw.other@1').stderr, /--snapshot raw\.other@1: this training does not read raw\.other \(it reads raw\.spend\)/);
        assert.match(cli(b, ...gbdt, '--snapshot', 'raw.spend@9').stderr, /error: .*raw\.spend.*9/);
        assert.match(cli(b, 'train', 'regression', '--data', 'lake:raw.nope', '--target', 'spend').stderr, /lake table raw\.nope is not in the catalog/);
        assert.match(cli(b, ...gbdt, '--search', 'colour=1,2').stderr, /--search "colour=1,2": expected NAME=v1,v2/);
      } finally {
        await b.dispose();
      }
    });
  }
});
