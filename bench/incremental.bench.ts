// The warehouse-build pipeline (src/pipeline/build.ts) on the demo's worlds: a run over 1% new
// data (the newest 1% of events by time: new days, so new partitions) against a full rebuild
// over all of it, in the same process on the same lake, as interleaved pairs (each pair: land
// 1% more, run incrementally, then rebuild with --full over the same inputs), so load on the
// shared machine hits both sides. Target: incremental <= 10% of full. Per-step times of the
// last incremental run show where its cost goes.
// With `online-retail` (a real data set, /work/shared/data/online-retail.csv.gz, 541,909 order
// lines over a year), its lines land as order_line events instead of the generated worlds, and
// the newest 1% slices are new days of sales.
// Usage: npm run bench -- incremental [pairs=2] [scale=1] [online-retail]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { executePipeline } from '../src/pipeline/execute.ts';
import { buildPipeline } from '../src/pipeline/build.ts';
import { openWorkspace } from '../src/warehouse/workspace.ts';
import { benchOut, median, report, timeIt, type Row } from './lib.ts';
import { sharedPath } from '../src/util/paths.ts';
import { demoSize, landDimensions, landEvents, splitByTime, worldEvents } from '../test/fixtures/worlds.ts';

const pairs = Number(process.argv[2] ?? 2), scale = Number(process.argv[3] ?? 1);
const real = process.argv[4] === 'online-retail';
const home = join(benchOut, 'incremental');
rmSync(home, { recursive: true, force: true });
const ws = await openWorkspace({ config: loadConfig({ home }) });
const quiet = () => {};
try {
  const world = real ? await onlineRetail() : worldEvents(demoSize(scale));
  const share = 0.01;
  // hold back `pairs` slices of 1% of each use case's events (by time)
  const [mOld, mNew] = splitByTime(world.music, share * pairs), [rOld, rNew] = splitByTime(world.retail, share * pairs);
  const slice = (xs: typeof mNew, i: number) => xs.slice(Math.floor((i * xs.length) / pairs), Math.floor(((i + 1) * xs.length) / pairs));
  console.log(`${real ? 'Online Retail' : 'world'}: ${world.music.length.toLocaleString('en-US')} music ` +
    `+ ${world.retail.length.toLocaleString('en-US')} retail events${real ? '' : ` (demo size x${scale})`}; ${pairs} slices of 1% held back`);
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
  report(
    'steps of the last incremental run',
    last!.pipeline.stages.map((s) => ({ name: s.name, s: s.seconds, rows: s.rows ?? '', note: (s.note ?? '').slice(0, 90) })),
  );
} finally {
  await ws.close();
}

/** The Online Retail file's lines as order_line events (event_id: the line's number), by time. */
async function onlineRetail(): Promise<ReturnType<typeof worldEvents>> {
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
