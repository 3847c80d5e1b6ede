// The warehouse-build pipeline (src/pipeline/build.ts) on the demo's worlds: a run over 1% new
// data (the newest 1% of events by time: new days, so new partitions) against a full rebuild
// over all of it, in the same process on the same lake, as interleaved pairs (each pair: land
// 1% more, run incrementally, then rebuild with --full over the same inputs), so load on the
// shared machine hits both sides. Target: incremental <= 10% of full. Per-step times of the
// last incremental run show where its cost goes.
// Two more 1% slices then run with one step at a time, to measure each step's own cost; from
// those and the steps' dependencies comes the floor no schedule can beat on this machine's
// cores: the longest chain of dependent steps, or all the work spread evenly over the cores,
// whichever is longer (plus the run's own set-up). Its ratio to the full build is the best any
// ordering of these steps could reach (scheduleFloor).
// Each world size runs in its own process (a 16x world's events, held in memory to be sliced by
// time, need a larger heap than node's default), and the closing table gives the ratio per size:
// a 1% run has a fixed cost per model step (a handful of DuckDB statements and catalog commits,
// whatever the volume), so the ratio falls as the volume grows.
// With `online-retail` (a real data set, /work/shared/data/online-retail.csv.gz, 541,909 order
// lines over a year), its lines land as order_line events instead of the generated worlds, and
// the newest 1% slices are new days of sales.
// Usage: npm run bench -- incremental [pairs=2] [scales=1,4,16] [online-retail]
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.ts';
import { executePipeline } from '../src/pipeline/execute.ts';
import { buildPipeline } from '../src/pipeline/build.ts';
import type { Chain } from '../src/pipeline/runner.ts';
import { holdThreads } from '../src/lake/duck.ts';
import { openWorkspace } from '../src/warehouse/workspace.ts';
import { benchOut, median, report, timeIt, type Row } from './lib.ts';
import { sharedPath } from '../src/util/paths.ts';
import { demoSize, landDimensions, landEvents, splitByTime, worldEvents } from '../test/fixtures/worlds.ts';

const TARGET = 0.1;
const one = process.argv.indexOf('--one');
if (one >= 0) {
  await measure(Number(process.argv[one + 1]), Number(process.argv[one + 2]), process.argv[one + 3] === 'online-retail');
} else {
  const pairs = Number(process.argv[2] ?? 2);
  const real = process.argv.includes('online-retail');
  const scales = real ? [1] : (process.argv[3] ?? '1,4,16').split(',').map(Number);
  const rows: Row[] = [];
  for (const scale of scales) {
    // ~0.9 GB of heap per demo size of events in memory (a 16x world: 9.7M events)
    const heap = Math.max(4096, Math.ceil(900 * scale));
    const r = spawnSync(
      process.execPath,
      [`--max-old-space-size=${heap}`, '--import', 'tsx', fileURLToPath(import.meta.url), '--one', String(scale), String(pairs), real ? 'online-retail' : ''],
      { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    process.stdout.write(r.stdout.split('\n').filter((l) => !l.startsWith('RESULT ')).join('\n'));
    const result = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (r.status !== 0 || !result) {
      rows.push({ name: real ? 'Online Retail' : `${scale}x`, verdict: `the run failed (status ${r.status})` });
      continue;
    }
    rows.push(JSON.parse(result.slice(7)) as Row);
  }
  report(`incremental build over 1% new data vs full rebuild, by world size (median of ${pairs} pairs; target <= ${TARGET})`, rows);
}

async function measure(scale: number, pairs: number, real: boolean): Promise<void> {
  const home = join(benchOut, `incremental-${real ? 'online-retail' : scale}`);
  rmSync(home, { recursive: true, force: true });
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  const quiet = () => {};
  try {
    const world = real ? await onlineRetail(ws) : worldEvents(demoSize(scale));
    const share = 0.01;
    // hold back `pairs` slices of 1% of each use case's events (by time), and one for the floor
    const slices = pairs + 2;
    const [mOld, mNew] = splitByTime(world.music, share * slices), [rOld, rNew] = splitByTime(world.retail, share * slices);
    const slice = (xs: typeof mNew, i: number) => xs.slice(Math.floor((i * xs.length) / slices), Math.floor(((i + 1) * xs.length) / slices));
    const events = world.music.length + world.retail.length;
    console.log(`\n${real ? 'Online Retail' : `world x${scale}`}: ${world.music.length.toLocaleString('en-US')} music ` +
      `+ ${world.retail.length.toLocaleString('en-US')} retail events; ${slices} slices of 1% held back (${pairs} pairs, 2 for the floor)`);
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
    // the floor: two more 1% slices, each run one step at a time; the first with the threads
    // the layout gives (all the work, as the dataflow runs it), the second with every core for
    // each step (the least each step of a chain can take)
    const serial: SerialRun[] = [];
    for (const [i, allCores] of [[pairs, false], [pairs + 1, true]] as const) {
      await landEvents(ws, [...slice(mNew, i), ...slice(rNew, i)]);
      serial.push(await oneStepAtATime(ws, allCores ? availableParallelism() : 0));
    }
    const floor = scheduleFloor(serial[0]!, serial[1]!, availableParallelism());
    const ratio = median(rows.map((r) => r.ratio as number));
    report(`${real ? 'Online Retail' : `x${scale}`}: incremental build over 1% new data vs full rebuild`, rows);
    report(
      `${real ? 'Online Retail' : `x${scale}`}: steps of the last incremental run`,
      last!.pipeline.stages.map((s) => ({ name: s.name, s: s.seconds, rows: s.rows ?? '', note: (s.note ?? '').slice(0, 90) })),
    );
    const mid = (k: string) => median(rows.map((r) => r[k] as number));
    console.log(`\nfloor on ${floor.cores} cores: the steps' work, one at a time, ${floor.work.toFixed(2)} s ` +
      `(${(floor.work / floor.cores).toFixed(2)} s if the cores shared it perfectly); the longest chain of dependent steps, ` +
      `each with every core, ${floor.chain.seconds.toFixed(2)} s (${floor.chain.steps.join(' -> ')}); before the first step and after ` +
      `the last, ${floor.outside.toFixed(2)} s. No schedule of these steps beats ${floor.seconds.toFixed(2)} s: ` +
      `${(floor.seconds / mid('full_s')).toFixed(3)} of the full build`);
    console.log('RESULT ' + JSON.stringify({
      name: real ? 'Online Retail' : `${scale}x`, events, new_events: mid('new_events'),
      incremental_s: mid('incremental_s'), full_s: mid('full_s'), ratio, verdict: ratio <= TARGET ? 'met' : 'NOT met',
      floor_s: floor.seconds, floor_ratio: floor.seconds / mid('full_s'),
    }));
  } finally {
    await ws.close();
    rmSync(home, { recursive: true, force: true });
  }
}

interface SerialRun { chain: Chain; stepSeconds: number; outside: number }

/**
 * One incremental build with one step at a time, DuckDB's threads held at `threads` (0: as the
 * layout says): its longest chain of dependent steps (each step's time its own), the time from
 * the first step's start to the last step's end, and the time before and after them (lease,
 * layout, the tracked run).
 */
async function oneStepAtATime(ws: Awaited<ReturnType<typeof openWorkspace>>, threads: number): Promise<SerialRun> {
  const release = threads ? await holdThreads(ws.wh.conn, ws.lake.duckdb, threads) : undefined;
  try {
    const at: number[] = [], t0 = performance.now();
    const r = await executePipeline(ws, buildPipeline, { log: () => {}, args: { concurrency: 1 }, beforeStep: () => { at.push(performance.now()); } });
    const tEnd = performance.now(), stages = r.pipeline.stages;
    const lastEnd = at.at(-1)! + stages.at(-1)!.seconds * 1000;
    return { chain: r.pipeline.longestChain!, stepSeconds: (lastEnd - at[0]!) / 1000, outside: (at[0]! - t0 + tEnd - lastEnd) / 1000 };
  } finally {
    await release?.();
  }
}

/**
 * The least time any schedule of the build's steps could take on `cores`: all the work (the
 * steps' and the runner's bookkeeping between them, from a run of one step at a time with the
 * layout's threads) shared perfectly by the cores, or the longest chain of steps that must follow
 * one another (their dependencies as the runner orders them, stepDependencies; each step's time
 * from a run giving it every core), whichever is longer, plus the time before the first step and
 * after the last, paid whatever the schedule.
 */
function scheduleFloor(work: SerialRun, wide: SerialRun, cores: number) {
  const outside = Math.min(work.outside, wide.outside);
  return { cores, work: work.stepSeconds, chain: wide.chain, outside, seconds: outside + Math.max(wide.chain.seconds, work.stepSeconds / cores) };
}

/** The Online Retail file's lines as order_line events (event_id: the line's number), by time. */
async function onlineRetail(ws: Awaited<ReturnType<typeof openWorkspace>>): Promise<ReturnType<typeof worldEvents>> {
  const file = sharedPath('data', 'online-retail.csv.gz');
  if (!file) {
    console.log('online-retail.csv.gz not found (../shared/data): nothing measured');
    process.exit(0);
  }
  const rows = await ws.wh.query<Record<string, unknown>>(`SELECT 'online-retail:' || CAST(row_number() OVER () AS VARCHAR) AS event_id,
      strftime(InvoiceDate, '%Y-%m-%dT%H:%M:%SZ') AS ts, InvoiceNo AS invoice_no, StockCode AS stock_code, Description AS description,
      Quantity AS quantity, UnitPrice AS unit_price, CAST(CAST(CustomerID AS BIGINT) AS VARCHAR) AS customer_id, Country AS country
    FROM read_csv('${file.replaceAll("'", "''")}', header = true, types = {'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'Quantity': 'BIGINT',
      'InvoiceDate': 'TIMESTAMP', 'UnitPrice': 'DOUBLE', 'CustomerID': 'DOUBLE'})`);
  const retail = rows.map((r) => ({ ...r, type: 'order_line' })) as unknown as ReturnType<typeof worldEvents>['retail'];
  retail.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return { music: [], retail, dims: {} };
}
