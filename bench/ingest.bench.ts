// Ingestion throughput over HTTP with durable acknowledgements.
// Ours: `tributary serve`, NDJSON batches of 1,000 events, 4 concurrent connections (wrk).
// Anchor: the seed's pattern, one FastAPI request per event, fsync'd per request
// (../shared/anchors/ingest_fastapi.py, loaded with wrk -t1 -c16 and post_event.lua).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, anchorScript, report } from './lib.ts';
import { runWrk, startProcess } from './wrk.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const here = dirname(fileURLToPath(import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
const anchorDir = dirname(anchorScript('ingest_fastapi.py'));

// anchor
const anchorPort = 18802;
const anchor = await startProcess(PYTHON, ['-m', 'uvicorn', 'ingest_fastapi:app', '--port', String(anchorPort), '--log-level', 'info', '--no-access-log'], /Uvicorn running/, {
  cwd: anchorDir, env: { ANCHOR_OUT: join(home, 'anchor.ndjson') },
});
let a;
try {
  a = runWrk(`http://127.0.0.1:${anchorPort}/event`, { threads: 1, connections: 16, seconds, script: join(anchorDir, 'post_event.lua') });
} finally { await anchor.stop(); }

// ours
const ours = await startProcess(process.execPath, [join(here, '..', 'bin', 'tributary.js'), 'serve', '--port', '0'], /listening on (http:\/\/\S+)/, {
  env: { TRIBUTARY_HOME: join(home, 'tributary'), LOG_LEVEL: 'error' },
});
let o;
try {
  o = runWrk(`${ours.match[1]}`, { threads: 2, connections: 4, seconds, script: join(here, 'lua', 'ndjson-batch.lua'), env: { BATCH: '1000' } });
} finally { await ours.stop(); }
rmSync(home, { recursive: true, force: true });

const anchorEps = a.requestsPerSec;
const oursEps = o.requestsPerSec * 1000;
report('ingest', [
  { name: 'anchor: FastAPI, 1 request per event, fsync each', events_per_s: Math.round(anchorEps), p99_ms: a.p99ms, non2xx: a.non2xx, errors: a.errors },
  { name: 'tributary: NDJSON x1000, 4 conns, group fsync', events_per_s: Math.round(oursEps), p99_ms: o.p99ms, non2xx: o.non2xx, errors: o.errors },
]);
console.log(`\nratio: ${(oursEps / anchorEps).toFixed(1)}x the anchor's events/s (target: >= 60x and >= 100,000 events/s)`);
if (o.non2xx || o.errors) console.log(`WARNING: ${o.non2xx} non-2xx responses and ${o.errors} socket errors on our side`);
