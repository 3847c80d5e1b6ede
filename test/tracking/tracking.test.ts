// Runs, params, metric curves, stages, tags, artifacts, nested runs and search, against SQLite
// and PostgreSQL with the same test bodies.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Tracker, TrackingError, type RunSummary } from '../../src/tracking/index.ts';
import { backendTest as eachBackend, type Backend } from './backends.ts';

type Body = (b: Backend, tracker: Tracker) => Promise<void>;

const backendTest = (name: string, body: Body) => eachBackend(name, (b) => body(b, new Tracker(b.store, { home: b.home })));

describe('tracking', () => {
  backendTest('a run round-trips params, tags, metric curves, stages, artifacts and status', async (b, tracker) => {
    const run = await tracker.startRun({
      pipeline: 'retail', step: 'train',
      params: { max_depth: 6, lr: 0.1, model: 'gbt', balanced: true, cols: ['a', 'b'] },
      tags: { team: 'ads' },
    });
    await run.logParams({ n_estimators: 200 });
    await run.logParams({ max_depth: 6 }); // same value again is fine
    await assert.rejects(run.logParam('max_depth', 7), /param "max_depth" is already 6; cannot change it to 7/);
    for (const v of [0.9, 0.7, 0.5]) await run.logMetric('loss', v); // steps 0, 1, 2
    await run.logMetric('auc', 0.81, 10);
    await run.logMetric('auc', 0.79, 3); // logged late for an earlier step: not the latest
    await run.logMetric('nan_metric', NaN);
    await run.setTag('team', 'growth');
    const out = await run.stage('features', async () => 42);
    assert.equal(out, 42);
    await assert.rejects(run.stage('fit', async () => { throw new Error('diverged'); }), /diverged/);
    const bytes = new TextEncoder().encode('{"hello":"world"}');
    const art = await run.logArtifact('reports/summary.json', bytes);
    const src = join(b.home, 'input.csv');
    writeFileSync(src, 'a,b\n1,2\n');
    await run.logArtifact('input.csv', src);
    await run.end('finished');
    await assert.rejects(run.logMetric('loss', 0.1), /has ended/);

    const got = await tracker.getRun(run.id);
    assert.equal(got.pipeline, 'retail');
    assert.equal(got.step, 'train');
    assert.equal(got.status, 'finished');
    assert.ok(got.endedAt && got.endedAt >= got.startedAt);
    assert.ok(got.durationMs !== null && got.durationMs >= 0);
    assert.ok(got.codeVersion && got.codeVersion.length > 0);
    assert.deepEqual(got.params, { balanced: 'true', cols: '["a","b"]', lr: '0.1', max_depth: '6', model: 'gbt', n_estimators: '200' });
    assert.deepEqual(got.tags, { team: 'growth' });
    assert.equal(got.metrics.loss, 0.5);
    assert.equal(got.metrics.auc, 0.81);
    assert.ok(Number.isNaN(got.metrics.nan_metric));
    assert.deepEqual((await tracker.metricHistory(run.id, 'loss')).map((p) => [p.step, p.value]), [[0, 0.9], [1, 0.7], [2, 0.5]]);
    assert.deepEqual((await tracker.metricHistory(run.id, 'auc')).map((p) => [p.step, p.value]), [[3, 0.79], [10, 0.81]]);
    assert.deepEqual(got.stages.map((s) => [s.name, s.status]), [['features', 'finished'], ['fit', 'failed']]);
    assert.ok(got.stages.every((s) => s.durationMs >= 0));
    assert.deepEqual(got.artifacts.map((a) => a.name), ['input.csv', 'reports/summary.json']);
    const summary = got.artifacts.find((a) => a.name === 'reports/summary.json')!;
    assert.equal(summary.path, join('artifacts', run.id, 'reports', 'summary.json'));
    assert.equal(summary.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(summary.size, bytes.length);
    assert.deepEqual(summary.sha256, art.sha256);
    assert.equal(readFileSync(join(b.home, summary.path), 'utf8'), '{"hello":"world"}');
    assert.equal(readFileSync(join(b.home, 'artifacts', run.id, 'input.csv'), 'utf8'), 'a,b\n1,2\n');
  });

  backendTest('bad input is refused with errors naming the field', async (_b, tracker) => {
    await assert.rejects(tracker.startRun({ pipeline: '' }), /pipeline must be a non-empty string/);
    await assert.rejects(tracker.startRun({ pipeline: 'p', parentRunId: 'nope' }), /parentRunId nope is not a known run/);
    const run = await tracker.startRun({ pipeline: 'p' });
    await assert.rejects(run.logArtifact('../escape.txt', new Uint8Array(1)), /relative path inside the run/);
    await assert.rejects(run.logArtifact('x', '/nonexistent/file.bin'), /cannot read \/nonexistent\/file.bin/);
    await assert.rejects(run.logMetric('loss', 'high' as unknown as number), /metric "loss" must be a number/);
    await assert.rejects(run.logMetric('bad name!', 1), /metric name "bad name!"/);
    await assert.rejects(tracker.getRun('missing'), TrackingError);
    await assert.rejects(tracker.listRuns({ filter: 'metrics.rmse < "x"' }), /metrics.rmse must be compared with a number/);
    await assert.rejects(tracker.listRuns({ filter: 'colour = 1' }), /unknown run attribute "colour"/);
    await assert.rejects(tracker.listRuns({ filter: 'metrics.rmse < 1 or params.a = 1' }), /expected "and"/);
    await run.end();
    await assert.rejects(run.end(), /has ended/);
  });

  backendTest('nested runs (trials) and withRun ending failed on exceptions', async (_b, tracker) => {
    const search = await tracker.startRun({ pipeline: 'retail', step: 'search' });
    const trials = [];
    for (const depth of [2, 4, 8]) {
      const trial = await search.startChild({ step: 'trial', params: { depth } });
      await trial.logMetric('rmse', 10 / depth);
      await trial.end();
      trials.push(trial.id);
    }
    await search.end();
    const parent = await tracker.getRun(search.id);
    assert.deepEqual(new Set(parent.childRunIds), new Set(trials));
    const children = await tracker.listRuns({ parentRunId: search.id });
    assert.deepEqual(new Set(children.runs.map((r) => r.id)), new Set(trials));
    assert.ok(children.runs.every((r) => r.parentRunId === search.id && r.pipeline === 'retail'));
    const top = await tracker.listRuns({ parentRunId: null });
    assert.deepEqual(top.runs.map((r) => r.id), [search.id]);

    let failedId = '';
    await assert.rejects(tracker.withRun({ pipeline: 'retail', step: 'boom' }, async (run) => {
      failedId = run.id;
      await run.logMetric('x', 1);
      throw new Error('out of memory in fit');
    }), /out of memory in fit/);
    const failed = await tracker.getRun(failedId);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'out of memory in fit');
    assert.ok(failed.endedAt);
    const okValue = await tracker.withRun({ pipeline: 'retail' }, async () => 7);
    assert.equal(okValue, 7);
    const finished = await tracker.listRuns({ status: 'finished', parentRunId: null });
    assert.equal(finished.runs.length, 2);
  });

  backendTest('listing pages newest first and search by params, metrics, tags and attributes', async (_b, tracker) => {
    const made: { id: string; depth: number; rmse: number; team: string; model: string }[] = [];
    for (let i = 0; i < 120; i++) {
      const depth = 2 + (i % 5);
      const rmse = ((i * 37) % 101) / 100;
      const team = i % 3 === 0 ? 'ads' : 'growth';
      const model = i % 2 ? 'forest' : 'gbt';
      const run = await tracker.startRun({ pipeline: i % 4 ? 'retail' : 'recsys', params: { depth, model }, tags: { team } });
      await run.logMetric('rmse', rmse + 1, 0);
      await run.logMetric('rmse', rmse, 1);
      if (i % 10 !== 9) await run.end();
      made.push({ id: run.id, depth, rmse, team, model });
    }
    const seen: RunSummary[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await tracker.listRuns({ limit: 50, pageToken: token });
      seen.push(...page.runs);
      token = page.nextPageToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.equal(seen.length, 120);
    assert.equal(new Set(seen.map((r) => r.id)).size, 120);
    for (let i = 1; i < seen.length; i++) {
      const [a, c] = [seen[i - 1]!, seen[i]!];
      assert.ok(a.startedAt > c.startedAt || (a.startedAt === c.startedAt && a.id > c.id), 'newest first');
    }

    const ids = (runs: RunSummary[]) => new Set(runs.map((r) => r.id));
    const expect = (pred: (m: (typeof made)[number]) => boolean) => new Set(made.filter(pred).map((m) => m.id));
    const q = async (filter: string, extra = {}) => ids((await tracker.listRuns({ filter, limit: 1000, ...extra })).runs);
    assert.deepEqual(await q('metrics.rmse < 0.3 and params.depth >= 4'), expect((m) => m.rmse < 0.3 && m.depth >= 4));
    assert.deepEqual(await q("params.model = 'forest' and tags.team = 'ads'"), expect((m) => m.model === 'forest' && m.team === 'ads'));
    assert.deepEqual(await q('params.depth = 3'), expect((m) => m.depth === 3));
    assert.deepEqual(await q("params.model != 'gbt' and metrics.rmse >= 0.9"), expect((m) => m.model !== 'gbt' && m.rmse >= 0.9));
    assert.deepEqual(await q("status = 'running'"), new Set(made.filter((_, i) => i % 10 === 9).map((m) => m.id)));
    assert.deepEqual(await q('metrics.rmse <= 0.5', { pipeline: 'recsys' }), new Set(made.filter((m, i) => i % 4 === 0 && m.rmse <= 0.5).map((m) => m.id)));
    // page rows carry the last metric value and params
    const one = (await tracker.listRuns({ limit: 1 })).runs[0]!;
    const src = made.find((m) => m.id === one.id)!;
    assert.equal(one.metrics.rmse, src.rmse);
    assert.equal(one.params.depth, String(src.depth));

    const cmp = await tracker.compareRuns([made[0]!.id, made[1]!.id]);
    assert.deepEqual(cmp.runs.map((r) => r.id), [made[0]!.id, made[1]!.id]);
    assert.deepEqual(cmp.paramKeys, ['depth', 'model']);
    assert.deepEqual(cmp.metricKeys, ['rmse']);
    await assert.rejects(tracker.compareRuns([made[0]!.id, 'nope']), /unknown run id\(s\): nope/);
  });
});
