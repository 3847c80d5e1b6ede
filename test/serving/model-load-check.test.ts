// Issue 13: models are checked on load with export's structural validation; a promotion to a
// version that cannot be loaded is a 409 before the alias moves; API errors never carry file
// paths; promote authenticates before it validates; a token of blanks is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMetaStore } from '../../src/metadata/db.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { startServer } from '../../src/serving/server.ts';
import { loadConfig } from '../../src/config/index.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { tinyPipeline } from './fixtures.ts';

/** The tiny pipeline's artifact with its coefficients broken in the given way. */
function broken(how: 'short' | 'strings'): unknown {
  const art = structuredClone(tinyPipeline(2).toJSON()) as any;
  const state = art.state.model.state;
  state.coef = how === 'short' ? [2] : ['a', 'b', 'c'];
  return art;
}

test('malformed models are not served and cannot be promoted', async (t) => {
  const { home, cleanup } = tmpHome();
  const store = await openMetaStore({ home });
  const reg = new ModelRegistry(store, { home });
  await reg.registerModel('tiny', { artifact: tinyPipeline(1).toJSON() }); // v1, champion
  await reg.registerModel('tiny', { artifact: broken('short') }); // v2
  await reg.registerModel('tiny', { artifact: broken('strings') }); // v3
  await reg.registerModel('bad', { artifact: broken('short') }); // v1, champion of its own
  await store.close();
  const server = await startServer(testConfig(home, { apiToken: 'secret-token-123' }), { pollMs: 60_000 });
  t.after(async () => { await server.close(); cleanup(); });
  const auth = { authorization: 'Bearer secret-token-123', 'content-type': 'application/json' };

  await t.test('a champion with a valid hash but malformed content is not served, and says why', async () => {
    const res = await fetch(`${server.url}/v1/predict/bad`, { method: 'POST', headers: auth, body: JSON.stringify({ rows: [{ x: 1, colour: 'red' }] }) });
    assert.equal(res.status, 404);
    const list = await (await fetch(`${server.url}/v1/models`)).json() as { models: { name: string; serving: unknown; error?: string }[] };
    const bad = list.models.find((m) => m.name === 'bad')!;
    assert.equal(bad.serving, null);
    assert.match(bad.error!, /malformed|coef|entries/i);
    assert.doesNotMatch(JSON.stringify(list), new RegExp(home), 'no file path of the home in the answer');
  });

  await t.test('promoting an unloadable version is a 409 and the alias does not move', async () => {
    for (const version of [2, 3]) {
      const res = await fetch(`${server.url}/v1/models/tiny/promote`, { method: 'POST', headers: auth, body: JSON.stringify({ version }) });
      assert.equal(res.status, 409, `v${version}`);
      const body = await res.json() as { error: string; message: string };
      assert.equal(body.error, 'model_unloadable');
      assert.doesNotMatch(body.message, new RegExp(home));
    }
    const s = new ModelRegistry(await openMetaStore({ home }), { home });
    assert.equal((await s.getChampionVersion('tiny'))!.version, 1);
    const pred = await fetch(`${server.url}/v1/predict/tiny`, { method: 'POST', headers: auth, body: JSON.stringify({ rows: [{ x: 2, colour: 'blue' }] }) });
    assert.equal(pred.status, 200);
    assert.equal(((await pred.json()) as { version: number }).version, 1);
  });

  await t.test('promote checks the token before the body', async () => {
    const res = await fetch(`${server.url}/v1/models/tiny/promote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"version":"not a number"}',
    });
    assert.equal(res.status, 401);
    const ev = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    assert.equal(ev.status, 401);
  });
});

test('a token of blanks is refused by the configuration', () => {
  assert.throws(() => loadConfig({ home: '/tmp/x' }, { TRIBUTARY_API_TOKEN: '        ' }), /apiToken/);
  assert.equal(loadConfig({ home: '/tmp/x' }, { TRIBUTARY_API_TOKEN: 'abcdefgh' }).apiToken, 'abcdefgh');
});

test('the CLI refuses to promote a version that cannot be loaded, and the alias stays', async () => {
  const { execFileSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));
  const { home, cleanup } = tmpHome();
  try {
    const store = await openMetaStore({ home });
    const reg = new ModelRegistry(store, { home });
    await reg.registerModel('tiny', { artifact: tinyPipeline(1).toJSON() }); // v1, champion
    await reg.registerModel('tiny', { artifact: broken('short') }); // v2
    await store.close();
    let failed: { status: number | null; stderr: string } | undefined;
    try {
      execFileSync(
        process.execPath,
        [bin, 'models', 'promote', 'tiny', '2'],
        { env: { ...process.env, TRIBUTARY_HOME: home }, encoding: 'utf8', stdio: 'pipe' },
      );
    } catch (e) { failed = e as { status: number; stderr: string }; }
    assert.ok(failed, 'the promotion must fail');
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /not promoted: tiny v2/);
    assert.doesNotMatch(failed.stderr, new RegExp(home));
    const s = await openMetaStore({ home });
    assert.equal((await new ModelRegistry(s, { home }).getChampionVersion('tiny'))!.version, 1);
    await s.close();
  } finally { cleanup(); }
});
