// An SQL model built by day as jobs on JetStream (real cluster, PostgreSQL metadata): three
// `tributary worker` processes take the days, one is SIGKILLed in the middle of a day, its days
// are redone by the others, and the table the days were written to holds exactly the rows of
// the same model built whole in one process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JetStreamBus } from '../../src/bus/index.ts';
import { musicWorld } from '../../src/events/generators/music.ts';
import { dayBuildResults, jobQueue, submitDayBuild } from '../../src/pipeline/jobs.ts';
import { buildModels } from '../../src/warehouse/models.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { backends, testConfig, tmpHome } from '../helpers.ts';
import { landDimensions, landEvents } from '../fixtures/worlds.ts';
import { tableDiff } from '../fixtures/table-diff.ts';
import { testNats } from '../nats-cluster.ts';
import { startTributary, type Started } from '../fixtures/processes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MODEL = 'curated.music_interactions_daily';

const startWorker = (env: Record<string, string>) => startTributary(['worker'], env, /running/);

test('a model built by day on JetStream: three workers share the days, a SIGKILLed worker\'s day is redone, the days ' +
  'together equal the model built whole', { timeout: 300_000 }, async (t) => {
  const nats = await testNats();
  if (!nats) return t.skip('nats-server is not installed (apt-get install nats-server) and TEST_NATS_URL is not set');
  const pg = (await backends())[1]!();
  const { home, cleanup } = tmpHome();
  const workers: Started[] = [];
  const bus = await JetStreamBus.connect({ url: nats.url });
  const queueName = `t${process.pid}${Date.now().toString(36)}`;
  const config = testConfig(home, { databaseUrl: pg.databaseUrl });
  const ws = await openWorkspace({ config });
  try {
    const world = musicWorld({ seed: 5, users: 80, tracks: 200, days: 14 });
    await landEvents(ws, [...world.events()]);
    await landDimensions(ws, world.dimensions());
    // the single-process build: the model and what it reads, built whole
    await buildModels(ws.wh, { only: ['curated.tracks', 'curated.plays', 'curated.likes', MODEL] });

    const env = { TRIBUTARY_HOME: home, DATABASE_URL: pg.databaseUrl!, NATS_URL: nats.url, JOBS_QUEUE: queueName, JOBS_ACK_WAIT_S: '8', LOG_LEVEL: 'error' };
    workers.push(...await Promise.all([startWorker(env), startWorker(env), startWorker(env)]));
    const { build, into, days } = await submitDayBuild(bus, ws, { model: MODEL, queue: jobQueue(queueName) });
    assert.equal(into, 'features.music_interactions_daily');
    assert.ok(days.length >= 14, `one job per day: ${days.join(', ')}`);

    // the first worker to start a day is killed in the middle of it
    let victim: Started | undefined;
    while (!victim) {
      victim = workers.find((w) => w.lines().some((l) => /worker: building/.test(l)));
      await sleep(victim ? 0 : 5);
    }
    victim.proc.kill('SIGKILL');
    const victimPid = String(victim.proc.pid);

    const until = Date.now() + 240_000;
    const built = async () => new Set((await dayBuildResults(config, build)).filter((r) => r.status === 'finished').map((r) => r.params.day));
    while ((await built()).size < days.length) {
      assert.ok(
        Date.now() < until,
        `only ${(await built()).size} of ${days.length} days built; workers said:\n${workers.map((w) => w.lines().slice(-5).join('\n')).join('\n--\n')}`,
      );
      await sleep(250);
    }
    const runs = await dayBuildResults(config, build);
    const finished = runs.filter((r) => r.status === 'finished');
    // every surviving worker took days (a day it took and had not finished when the last day was
    // built counts: it is taking part, just slower, as a loaded machine makes one)
    const taken = workers.filter((w) => w !== victim).map((w) => w.lines().filter((l) => /worker: building/.test(l)).length);
    assert.ok(
      taken.every((n) => n > 0),
      `both surviving workers took days (${taken.join(', ')}); they said:\n${workers.map((w) => w.lines().slice(-8).join('\n')).join('\n--\n')}`,
    );
    assert.ok(finished.some((r) => Number(r.tags.delivery) > 1), 'a day the killed worker had taken was delivered again and built by another');
    const abandoned = runs.filter((r) => r.worker === victimPid && r.status === 'running');
    for (const r of abandoned) assert.ok(
      finished.some((f) => f.params.day === r.params.day && f.worker !== victimPid),
      `day ${r.params.day}, cut short by the kill, was built again`,
    );
    const byWorker = finished.reduce<Record<string, number>>((a, r) => { a[r.worker ?? '?'] = (a[r.worker ?? '?'] ?? 0) + 1; return a; }, {});
    const victimDay = /day (\S+)/.exec(victim.lines().find((l) => /worker: building/.test(l))!)?.[1];
    t.diagnostic(`days by worker: ${JSON.stringify(byWorker)}; killed ${victimPid} while building ${victimDay}`);

    // the days together are the model built whole, row for row, each day once
    await ws.wh.refresh();
    const d = await tableDiff(ws.wh, MODEL, 'features.music_interactions_daily');
    assert.ok(d.rows > 1000, `a model of some size (${d.rows} rows)`);
    assert.deepEqual([d.missing, d.extra], [0, 0], 'every row of the whole build, once');
    const parts = new Set((await ws.lake.catalog.files('features.music_interactions_daily')).map((f) => f.partition));
    assert.deepEqual([...parts].sort(), days.map((d) => `dt=${d}`), 'each day is its own partition');
  } finally {
    for (const w of workers) w.proc.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await ws.close();
    await bus.close();
    await nats.stop();
    await pg.cleanup();
    cleanup();
  }
});
