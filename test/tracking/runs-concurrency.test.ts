// Two real processes record tracked runs into one metadata database at once (as two `tributary
// worker` processes running trials do). On SQLite every write transaction must take the write
// lock before its first read (BEGIN IMMEDIATE): a deferred one that reads and then writes fails
// at once with "database is locked" when the other process wrote in between, because SQLite's
// busy timeout does not cover that upgrade. Every run of both children must be recorded whole.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Tracker } from '../../src/tracking/tracker.ts';
import { backendTest } from './backends.ts';
import { runJsonChild } from '../fixtures/processes.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/run-writer.ts', import.meta.url));
const RUNS = 150;

const runChild = (args: string[]) => runJsonChild<{ who: string; runs: string[] }>(FIXTURE, args);

describe('tracked runs under concurrent writers', () => {
  backendTest('two processes recording runs at once both finish, every run whole', async (b) => {
    // both children wait for the same moment (after their imports) so their writes overlap
    const startAt = String(Date.now() + 4000);
    const reports = await Promise.all(['A', 'B'].map((who) => runChild([b.home, b.databaseUrl ?? '', who, String(RUNS), startAt])));
    const tracker = new Tracker(b.store, { home: b.home });
    const page = await tracker.listRuns({ pipeline: 'race', limit: 1000 });
    assert.equal(page.runs.length, 2 * RUNS);
    for (const r of reports) {
      assert.equal(r.runs.length, RUNS);
      for (const id of [r.runs[0]!, r.runs[RUNS - 1]!]) {
        const run = await tracker.getRun(id);
        assert.equal(run.status, 'finished');
        assert.equal(run.params.who, r.who);
        assert.equal(Object.keys(run.params).length, 3);
        assert.equal(run.stages.length, 1);
      }
    }
  });
});
