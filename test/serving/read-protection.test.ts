// Issue 13: optional read protection and per-client rate limits. With TRIBUTARY_READ_TOKEN the
// routes that answer from models (and write audit rows) need a token; with TRIBUTARY_RATE_LIMIT a
// client (its token, else its address) gets that many requests a minute, then 429.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../src/serving/server.ts';
import { testConfig, tmpHome } from '../helpers.ts';

test('read token and rate limit', async () => {
  const { home, cleanup } = tmpHome();
  const server = await startServer(testConfig(home, { apiToken: 'write-token-1', readToken: 'read-token-1', rateLimit: 5 }));
  try {
    const body = JSON.stringify({ rows: [{ x: 1 }] });
    const post = (auth?: string) => fetch(`${server.url}/v1/predict/none`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body,
    });
    assert.equal((await post()).status, 401);
    assert.equal((await fetch(`${server.url}/v1/recommendations/u1`)).status, 401);
    assert.equal((await post('read-token-1')).status, 404, 'with the read token the route answers (no such model)');
    assert.equal((await post('write-token-1')).status, 404, 'the write token reads too');
    // 5 a minute per client: the read-token client has used 1
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await post('read-token-1')).status);
    assert.deepEqual(codes, [404, 404, 404, 404, 429, 429]);
    const limited = await post('read-token-1');
    assert.equal(((await limited.json()) as { error: string }).error, 'rate_limited');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'probes are not limited');
  } finally { await server.close(); cleanup(); }
});
