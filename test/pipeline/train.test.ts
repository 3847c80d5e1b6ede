// trainTracked in process, from a file: the run records the file's hash, a training that throws
// leaves a 'failed' run with the error, and bad sources, searches and stages are refused clearly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMetaStore } from '../../src/metadata/db.ts';
import { ModelRegistry, Tracker, TrackingError } from '../../src/tracking/index.ts';
import { trainTracked } from '../../src/pipeline/train.ts';
import { parseSearch, parseSource } from '../../src/pipeline/train.ts';
import { testConfig, tmpHome } from '../helpers.ts';

function csv(path: string): void {
  const lines = ['a,b,y'];
  for (let i = 0; i < 60; i++) lines.push(`${i % 7},${(i * 5) % 11},${2 * (i % 7) - (i * 5) % 11 + 0.5}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

describe('trainTracked', () => {
  it('records a file-sourced training, registers it, and records a failing one as failed', async () => {
    const { home, cleanup } = tmpHome('trib-train-');
    try {
      const file = join(home, 'data.csv');
      csv(file);
      const config = testConfig(home);
      const ok = await trainTracked(
        config,
        { train: { task: 'regression', target: 'y', model: 'linear', seed: 1 }, data: file, register: 'lin', by: 'tester' },
      );
      assert.ok(ok.result.task === 'regression' && ok.result.r2 > 0.99);
      assert.deepEqual(ok.snapshots, []);
      await assert.rejects(
        trainTracked(config, { train: { task: 'regression', target: 'nope', model: 'linear' }, data: file }),
        /column "nope" not found/,
      );

      const store = await openMetaStore({ home });
      try {
        const tracker = new Tracker(store, { home });
        const run = await tracker.getRun(ok.runId);
        assert.equal(run.tags.data_sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
        assert.equal(run.params.data, file);
        const failed = (await tracker.listRuns({ status: 'failed', parentRunId: null })).runs;
        assert.equal(failed.length, 1);
        assert.match(failed[0]!.error ?? '', /column "nope" not found/);
        const v = await new ModelRegistry(store, { home }).loadModel('lin');
        assert.equal(v.createdBy, 'tester');
        assert.equal(v.sha256, ok.artifactSha256);
        assert.equal(JSON.stringify(v.artifact), ok.artifact);
        assert.match(v.card, new RegExp(`from file .*data\\.csv \\(sha256 ${run.tags.data_sha256}\\)`));
        const r = await tracker.startRun({ pipeline: 'x' });
        await assert.rejects(r.recordStage('fit', -1), /durationMs must be a finite number >= 0/);
        await r.recordStage('fit', 12.5);
        await r.end();
        assert.deepEqual((await tracker.getRun(r.id)).stages.map((s) => [s.name, s.durationMs, s.status]), [['fit', 12.5, 'finished']]);
      } finally {
        await store.close();
      }
    } finally {
      cleanup();
    }
  });

  it('parses sources and search grids, refusing bad ones by name', () => {
    assert.deepEqual(parseSource('lake:curated.customer_spend'), { kind: 'lake', table: 'curated.customer_spend' });
    assert.deepEqual(parseSource('data/x.csv'), { kind: 'file', path: 'data/x.csv' });
    assert.throws(() => parseSource('lake:nodot'), TrackingError);
    assert.deepEqual(parseSearch(['depth=3,6,3', 'learning-rate=0.1,0.3']), { depth: [3, 6], 'learning-rate': [0.1, 0.3] });
    assert.throws(() => parseSearch(['depth=3,x']), /values must be numbers/);
    assert.throws(() => parseSearch(['colour=1']), /NAME one of trees, rounds, depth, alpha, learning-rate/);
  });
});
