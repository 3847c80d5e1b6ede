// The scheduler: cron expressions, the missed-run policies, and two schedulers (two processes)
// against one PostgreSQL database running each due slot of a pipeline exactly once, never two
// runs of it at the same time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { dueBetween, nextAfter, parseCron } from '../../src/pipeline/cron.ts';
import { Scheduler, type ScheduleEntry } from '../../src/pipeline/scheduler.ts';
import { PipelineState } from '../../src/pipeline/state.ts';
import { openMetaStore } from '../../src/metadata/db.ts';
import { packageRoot } from '../../src/util/paths.ts';
import { PG_URL, tmpHome } from '../helpers.ts';
import { postgresReachable } from '../tracking/backends.ts';

const CLI = join(packageRoot, 'bin', 'tributary.js');
const at = (s: string) => new Date(s);

test('cron: fields, ranges, steps, lists, day-of-month OR day-of-week, seconds', () => {
  assert.equal(nextAfter(parseCron('*/15 * * * *'), at('2026-12-06T10:07:30Z')).toISOString(), '2026-12-06T10:15:00.000Z');
  assert.equal(nextAfter(parseCron('0 3 * * *'), at('2026-12-06T03:00:00Z')).toISOString(), '2026-12-07T03:00:00.000Z');
  assert.equal(nextAfter(parseCron('30 8 1 * *'), at('2026-12-06T00:00:00Z')).toISOString(), '2027-01-01T08:30:00.000Z');
  // Monday-Friday at 09:00: from Saturday to Monday
  assert.equal(nextAfter(parseCron('0 9 * * 1-5'), at('2026-12-05T12:00:00Z')).toISOString(), '2026-12-07T09:00:00.000Z');
  // 7 is Sunday too
  assert.equal(nextAfter(parseCron('0 0 * * 7'), at('2026-12-05T12:00:00Z')).toISOString(), '2026-12-06T00:00:00.000Z');
  // the 13th or any Friday
  assert.equal(nextAfter(parseCron('0 0 13 * 5'), at('2026-12-06T00:00:00Z')).toISOString(), '2026-12-11T00:00:00.000Z');
  assert.equal(nextAfter(parseCron('*/20 * * * * *'), at('2026-12-06T10:00:41Z')).toISOString(), '2026-12-06T10:01:00.000Z');
  assert.deepEqual(
    dueBetween(parseCron('0,30 * * * *'), at('2026-12-06T10:00:00Z'), at('2026-12-06T11:30:00Z')).map((d) => d.toISOString().slice(11, 16)),
    ['10:30', '11:00', '11:30'],
  );
  assert.throws(() => parseCron('61 * * * *'), /minute "61" is outside 0-59/);
  assert.throws(() => parseCron('* * *'), /expected 5 fields/);
  assert.throws(() => nextAfter(parseCron('0 0 31 2 *'), new Date()), /no due time/);
});

test('missed slots follow the policy: once runs the newest, all runs each, skip runs none', async () => {
  const { home, cleanup } = tmpHome('trib-sched-');
  const store = await openMetaStore({ home });
  try {
    for (const [policy, expectRuns] of [['once', 1], ['all', 8], ['skip', 0]] as const) {
      let now = at('2026-12-06T10:00:30Z');
      const ran: string[] = [];
      const entry: ScheduleEntry = { pipeline: `p-${policy}`, cron: '* * * * *', missed: policy };
      const s = new Scheduler({ store, entries: [entry], now: () => now, run: async (_e, slot) => { ran.push(slot); return { runId: `r-${slot}` }; } });
      await s.tick();
      assert.equal(ran.length, 0, 'nothing is due before the first slot after start');
      now = at('2026-12-06T10:01:05Z');
      await s.tick();
      await s.stop();
      assert.deepEqual(ran, ['2026-12-06T10:01:00.000Z'], `${policy}: an on-time slot runs`);
      // no scheduler runs for eight slots; one comes up 30 s after the last (late, for a 10 s grace)
      ran.length = 0;
      now = at('2026-12-06T10:09:30Z');
      const later = new Scheduler({
        store,
        entries: [entry],
        now: () => now,
        graceMs: 10_000,
        run: async (_e, slot) => { ran.push(slot); return { runId: `r-${slot}` }; },
      });
      await later.tick();
      await later.stop();
      assert.equal(ran.length, expectRuns, `${policy}: ${ran.join(', ')}`);
      const claims = await new PipelineState(store).claims(entry.pipeline);
      assert.equal(claims.length, 9, 'every slot 10:01..10:09 is claimed once');
      assert.equal(claims.filter((c) => c.status === 'skipped').length, 8 - expectRuns);
      if (policy === 'once') assert.deepEqual(ran, ['2026-12-06T10:09:00.000Z'], 'once: the newest');
    }
  } finally {
    await store.close();
    cleanup();
  }
});

test('two schedulers against one PostgreSQL database: each due slot runs exactly once, never two runs at once', async (t) => {
  if (!(await postgresReachable())) { t.skip('PostgreSQL is not reachable on ' + PG_URL); return; }
  const { home, cleanup } = tmpHome('trib-sched-pg-');
  const schema = `t_sched_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  try {
    writeFileSync(join(home, 'tributary.config.json'), JSON.stringify({ schedules: [{ pipeline: 'compact', cron: '*/2 * * * * *', missed: 'all' }] }));
    const scheduler = () => new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [CLI, 'schedule', '--for-ms', '14000', '--interval-ms', '200'], {
        cwd: home, env: { ...process.env, TRIBUTARY_HOME: join(home, 'state'), DATABASE_URL: url.toString() }, stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      p.on('error', reject);
      p.on('exit', (code) => resolve({ code, stderr }));
    });
    const [one, two] = await Promise.all([scheduler(), scheduler()]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);

    const store = await openMetaStore({ home, databaseUrl: url.toString() });
    try {
      const claims = await new PipelineState(store).claims('compact');
      assert.ok(claims.length >= 3, `only ${claims.length} slots came due: ${one.stderr}\n${two.stderr}`);
      // contiguous: no due slot was missed between the first and the last
      for (let i = 1; i < claims.length; i++) {
        assert.equal(Date.parse(claims[i]!.dueAt) - Date.parse(claims[i - 1]!.dueAt), 2000, `slots ${claims[i - 1]!.dueAt} -> ${claims[i]!.dueAt}`);
      }
      // the last slots may still be running when the schedulers stop (they wait for them): all finished
      assert.deepEqual(claims.filter((c) => c.status !== 'finished').map((c) => `${c.dueAt} ${c.status} ${c.error}`), []);
      // exactly one tracked run per slot
      const tagged = await store.db.selectFrom('tracking_tags').select(['value']).where('key', '=', 'scheduled_for').execute();
      const perSlot = new Map<string, number>();
      for (const r of tagged) perSlot.set(r.value, (perSlot.get(r.value) ?? 0) + 1);
      assert.deepEqual([...perSlot.keys()].sort(), claims.map((c) => c.dueAt));
      assert.ok([...perSlot.values()].every((n) => n === 1), JSON.stringify([...perSlot]));
      // never two runs of the pipeline at once
      const runs = await store.db.selectFrom('pipeline_runs').select(['started_at', 'ended_at'])
        .where('pipeline', '=', 'compact').orderBy('started_at').execute();
      assert.equal(runs.length, claims.length);
      for (let i = 1; i < runs.length; i++) {
        assert.ok(runs[i]!.started_at >= runs[i - 1]!.ended_at!, `runs overlap: ${JSON.stringify(runs.slice(i - 1, i + 1))}`);
      }
      const by = new Set(claims.map((c) => c.claimedBy.split(':')[1]));
      t.diagnostic(`${claims.length} slots, claimed by ${by.size} scheduler process(es)`);
    } finally {
      await store.close();
    }
  } finally {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
    cleanup();
  }
});
