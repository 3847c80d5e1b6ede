// Two real processes register, promote and roll back the same model at once, against SQLite
// (one file, WAL, BEGIN IMMEDIATE) and PostgreSQL (SELECT ... FOR UPDATE). Afterwards the
// registry must be consistent: one champion, dense version numbers, and an alias history whose
// entries chain (each from = the previous to) and replay to the current champion.
import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ModelRegistry, aliasStack } from '../../src/tracking/index.ts';
import { backendTest } from './backends.ts';
import { runJsonChild } from '../fixtures/processes.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/promoter.ts', import.meta.url));
const OPS = 40;

interface ChildReport { who: string; registered: number[]; promotions: number; rollbacks: number; refusedRollbacks: number }

const runChild = (args: string[]) => runJsonChild<ChildReport>(FIXTURE, args);

describe('registry under concurrent writers', () => {
  backendTest('two processes promoting at once leave one consistent champion and a complete history', async (b) => {
    const reg = new ModelRegistry(b.store, { home: b.home, checkSnapshots: false });
    for (let i = 0; i < 3; i++) await reg.registerModel('race', { artifact: { kind: 'Fixture', format: 1, params: {}, state: { i } }, by: 'setup' });
    // both children wait for the same moment (after their imports) so their writes overlap
    const startAt = String(Date.now() + 4000);
    const reports = await Promise.all(['A', 'B'].map((who) =>
      runChild([b.home, b.databaseUrl ?? '', 'race', who, String(OPS), startAt])));

    const registered = reports.flatMap((r) => r.registered);
    assert.equal(new Set(registered).size, registered.length, 'no version number was handed out twice');
    const versions = (await reg.listVersions('race', { limit: 1000 })).map((v) => v.version).sort((x, y) => x - y);
    assert.deepEqual(versions, Array.from({ length: 3 + registered.length }, (_, i) => i + 1), 'versions are dense 1..N');
    for (const v of versions) await reg.loadModel('race', v); // every artifact verifies

    const aliases = await b.store.db.selectFrom('model_aliases').selectAll().where('model_name', '=', 'race').where('alias', '=', 'champion').execute();
    assert.equal(aliases.length, 1, 'exactly one champion row');
    const history = await reg.aliasHistory('race', 'champion');
    const expected = 1 + reports.reduce((s, r) => s + r.promotions + r.rollbacks, 0);
    assert.equal(history.length, expected, 'every change a child made is in the history, and nothing else');
    assert.ok(reports.every((r) => r.promotions > 0), 'both children promoted');
    for (let i = 1; i < history.length; i++) {
      assert.equal(history[i]!.fromVersion, history[i - 1]!.toVersion, `history entry ${i} starts where entry ${i - 1} ended (no lost update)`);
    }
    const stack = aliasStack(history.map((h) => ({ action: h.action, to_version: h.toVersion })));
    assert.equal(stack[stack.length - 1], aliases[0]!.version, 'replaying the history gives the current champion');
    assert.equal((await reg.getChampionVersion('race'))?.version, aliases[0]!.version);
    assert.deepEqual(new Set(history.slice(1).map((h) => h.by)), new Set(['A', 'B']));
  });
});
