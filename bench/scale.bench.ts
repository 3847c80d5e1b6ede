// How the retail and music pipelines' cost grows with volume: generated worlds at 1x, 4x and 16x
// the demo's size (users and customers scaled; catalogue, days and months as the demo's), each
// scale in its own process (peak memory is the process's resident set, which never shrinks),
// wall time and peak RSS per stage, from the runner's own per-step records. Music: the events
// are imported per table, the warehouse build pipeline runs, then the music pipeline; retail:
// `tributary run retail`'s pipeline on its generated world. The growth factor per stage
// (time at Nx / time at 1x) is printed against the volume factor.
// Usage: npm run bench -- scale [scales=1,4,16] [pipelines=build,music,retail]
// (the build pipeline always runs: music and retail read its tables; `scale 1,4,16 music` measures
// build and music alone. The music evaluation tunes on a seeded sample of at most 2,000 training
// users, MUSIC_TUNE_USERS, so at 4x and 16x its tuning costs what it costs at 2x)
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.ts';
import { musicWorld } from '../src/events/generators/music.ts';
import { executePipeline } from '../src/pipeline/execute.ts';
import { buildPipeline } from '../src/pipeline/build.ts';
import { runMusic } from '../src/pipeline/music.ts';
import { runRetail } from '../src/pipeline/retail.ts';
import type { StageRecord } from '../src/pipeline/runner.ts';
import { ingestFile } from '../src/warehouse/ingest.ts';
import { openWorkspace } from '../src/warehouse/workspace.ts';
import { benchOut, report, timeIt, type Row } from './lib.ts';
import { demoSize, landDimensions } from '../test/fixtures/worlds.ts';

const one = process.argv.indexOf('--one');
if (one >= 0) {
  await measure(Number(process.argv[one + 1]), (process.argv[one + 2] ?? 'build,music,retail').split(','));
} else {
  const scales = (process.argv[2] ?? '1,4,16').split(',').map(Number);
  const pipelines = process.argv[3] ?? 'build,music,retail';
  const rows: Row[] = [];
  for (const scale of scales) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', String(scale), pipelines],
      { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('STAGE ')).map((l) => JSON.parse(l.slice(6)) as Row);
    if (r.status !== 0) {
      console.log(`scale ${scale}x: the run failed or was stopped ` +
        `(status ${r.status}, ${((performance.now() - t0) / 1000).toFixed(0)} s): ${lines.length} stages measured`);
    }
    rows.push(...lines);
  }
  const base = new Map(rows.filter((r) => r.scale === scales[0]).map((r) => [`${r.pipeline}/${r.name}`, r.seconds as number]));
  for (const r of rows) {
    const b = base.get(`${r.pipeline}/${r.name}`);
    r.growth = b && b > 0.01 ? (r.seconds as number) / b : '';
    r.name = `${r.pipeline}/${r.name}`;
    delete r.pipeline;
  }
  report(`pipelines by world size (${scales.map((s) => `${s}x`).join(', ')}; growth = time / time at ${scales[0]}x)`, rows);
}

async function measure(scale: number, pipelines: string[]): Promise<void> {
  const home = join(benchOut, `scale-${scale}`);
  rmSync(home, { recursive: true, force: true });
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  const emit = (pipeline: string, stages: StageRecord[]) => {
    for (const s of stages) {
      console.log('STAGE ' +
        JSON.stringify({ scale, pipeline, name: s.name, seconds: +s.seconds.toFixed(3), peak_rss_mb: s.stats?.peak_rss_mb ?? '', rows: s.rows ?? '' }));
    }
  };
  try {
    const size = demoSize(scale);
    // music: the world's events imported per table (a bulk import, as `tributary ingest` does)
    const load = await timeIt(async () => {
      const world = musicWorld({ seed: 42, users: size.users, tracks: size.tracks, days: size.days });
      const dir = join(home, 'import');
      mkdirSync(dir, { recursive: true });
      const byType = new Map<string, string[]>();
      for (const e of world.events()) {
        const t = (e as { type: string }).type;
        let l = byType.get(t);
        if (!l) byType.set(t, (l = []));
        l.push(JSON.stringify(e));
      }
      let n = 0;
      for (const [type, lines] of byType) {
        const file = join(dir, `${type}.ndjson`);
        // in slices: at 16x one table's lines exceed the longest string V8 makes
        writeFileSync(file, '');
        for (let i = 0; i < lines.length; i += 100_000) appendFileSync(file, lines.slice(i, i + 100_000).join('\n') + '\n');
        n += (await ingestFile(ws.wh, file, { table: type, format: 'ndjson' })).rows;
      }
      await landDimensions(ws, world.dimensions());
      return n;
    });
    console.log('STAGE ' +
      JSON.stringify({
        scale,
        pipeline: 'music',
        name: 'import',
        seconds: +load.s.toFixed(3),
        peak_rss_mb: Math.round(process.memoryUsage.rss() / 1e5) / 10,
        rows: load.value,
      }));
    const build = await executePipeline(ws, buildPipeline, { log: (l) => process.stderr.write(`[${scale}x] ${l}\n`) });
    emit('build', build.pipeline.stages);
    if (pipelines.includes('music')) {
      const music = await runMusic(ws, { seed: 0, build: false, log: (l) => process.stderr.write(`[${scale}x] ${l}\n`) });
      emit('music', music.pipeline.stages);
    }
    if (!pipelines.includes('retail')) return;
    const retail = await runRetail(ws, {
      seed: 0,
      world: { customers: size.customers, months: size.months },
      log: (l) => process.stderr.write(`[${scale}x] ${l}\n`),
    });
    emit('retail', retail.pipeline.stages);
  } finally {
    await ws.close();
    rmSync(home, { recursive: true, force: true });
  }
}
