// The warehouse-build pipeline (src/pipeline/build.ts) on the demo's worlds: a run over 1% new
// data (the newest 1% of events by time: new days, so new partitions) against a full rebuild
// over all of it, in the same process on the same lake, as interleaved pairs (each pair: land
// 1% more, run incrementally, then rebuild with --full over the same inputs), so load on the
// shared machine hits both sides. Target: incremental <= 10% of full. Per-step times of the
// last incremental run show where its cost goes.
// Usage: npm run bench -- incremental [pairs=2] [scale=1]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { executePipeline } from '../src/pipeline/execute.ts';
import { buildPipeline } from '../src/pipeline/build.ts';
import { openWorkspace } from '../src/warehouse/workspace.ts';
import { benchOut, median, report, timeIt, type Row } from './lib.ts';
import { demoSize, landDimensions, landEvents, splitByTime, worldEvents } from '../test/fixtures/worlds.ts';

const pairs = Number(process.argv[2] ?? 2), scale = Number(process.argv[3] ?? 1);
const home = join(benchOut, 'incremental');
rmSync(home, { recursive: true, force: true });
const ws = await openWorkspace({ config: loadConfig({ home }) });
const quiet = () => {};
try {
  const world = worldEvents(demoSize(scale));
  const share = 0.01;
  // hold back `pairs` slices of 1% of each use case's events (by time)
  const [mOld, mNew] = splitByTime(world.music, share * pairs), [rOld, rNew] = splitByTime(world.retail, share * pairs);
  const slice = (xs: typeof mNew, i: number) => xs.slice(Math.floor((i * xs.length) / pairs), Math.floor(((i + 1) * xs.length) / pairs));
  console.log(`world: ${world.music.length.toLocaleString('en-US')} music + ${world.retail.length.toLocaleString('en-US')} retail events (demo size x${scale}); ${pairs} slices of 1% held back`);
  await landDimensions(ws, world.dims);
  await landEvents(ws, [...mOld, ...rOld]);
  const first = await timeIt(() => executePipeline(ws, buildPipeline, { log: quiet }));
  console.log(`first build (99%${pairs > 1 ? '-' : ''}): ${first.s.toFixed(2)} s`);
  const rows: Row[] = [];
  let last: Awaited<ReturnType<typeof executePipeline>> | undefined;
  for (let i = 0; i < pairs; i++) {
    const added = await landEvents(ws, [...slice(mNew, i), ...slice(rNew, i)]);
    const inc = await timeIt(() => executePipeline(ws, buildPipeline, { log: quiet }));
    const full = await timeIt(() => executePipeline(ws, buildPipeline, { full: true, log: quiet }));
    last = inc.value;
    rows.push({ name: `pair ${i + 1}`, new_events: added, incremental_s: inc.s, full_s: full.s, ratio: inc.s / full.s });
  }
  const ratios = rows.map((r) => r.ratio as number);
  rows.push({ name: 'median', ratio: median(ratios), target: '<= 0.10', verdict: median(ratios) <= 0.1 ? 'met' : 'NOT met' });
  report('incremental build over 1% new data vs full rebuild', rows);
  report('steps of the last incremental run', last!.pipeline.stages.map((s) => ({ name: s.name, s: s.seconds, rows: s.rows ?? '', note: (s.note ?? '').slice(0, 90) })));
} finally {
  await ws.close();
}
