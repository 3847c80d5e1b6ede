// `tributary demo`: the whole product on embedded defaults, from nothing. A music world and a
// retail world are generated, sent through the real collector over HTTP (validation included),
// dimension files are imported, the warehouse is built, the music recommender and the sales
// analytics pipelines train and register their models, and a summary is printed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { musicWorld } from '../events/generators/music.ts';
import { retailWorld } from '../events/generators/retail.ts';
import { startServer, type RunningServer } from '../serving/server.ts';
import { Warehouse } from '../warehouse/session.ts';
import { sourceSchemas } from '../warehouse/sources.ts';
import { ingestFile } from '../warehouse/ingest.ts';
import { postEvents, withSomeInvalid } from './collect.ts';
import { Stages, type StageTiming } from './progress.ts';
import { runMusic } from '../pipeline/music.ts';
import type { Playlist } from '../analytics/music/playlist.ts';
import { runRetail } from '../pipeline/retail.ts';
import { executePipeline } from '../pipeline/execute.ts';
import { buildPipeline, type CompactionTotals } from '../pipeline/build.ts';
import type { Layout } from '../pipeline/layout.ts';
import { simulateMusic } from '../events/simulator.ts';

/** Waits until the API serves the recommender the music pipeline registered (the server picks it up by polling). */
async function waitForRecommendations(url: string, user: string, token?: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${url}/v1/recommendations/${encodeURIComponent(user)}?n=1`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    await r.arrayBuffer();
    if (r.ok) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('the API did not start serving the music recommender within 20 s');
}

export interface DemoOptions {
  config: Config;
  seed?: number;
  users?: number;
  tracks?: number;
  days?: number;
  customers?: number;
  products?: number;
  months?: number;
  /** days of the simulated users answering their recommendations after serving (default 7; 0: none) */
  simulateDays?: number;
  /** the collector's write-ahead segment size (default: the configured one, else DEMO_WAL_SEGMENT_BYTES) */
  walSegmentBytes?: number;
  log?: (line: string) => void;
}

export interface DemoSummary {
  stages: StageTiming[];
  totalSeconds: number;
  collected: { music: { accepted: number; rejected: number }; retail: { accepted: number; rejected: number } };
  tables: { table: string; rows: number; snapshot: number; files: number }[];
  highlights: Record<string, unknown>;
  /** the music recommender: offline metrics against popularity, the like model, sample playlists */
  recommender: {
    models: { model: string; ndcg10: number; recall20: number; precision10: number; map10: number; coverage: number; fit_s: number }[];
    chosen: string;
    lift_over_popularity: number;
    like_model: { log_loss: number; auc: number; auc_als_only: number; log_loss_base_rate: number };
    playlists: { users: number; cold_start: number; table: string; events: number };
    registered: { model: string; version: number } | null;
    samples: Playlist[];
  };
  /** the first build of the warehouse: its tracked run and what its compaction merged */
  warehouse: { runId: string; compaction: CompactionTotals | null };
  /** sales analytics on the collected order lines: KPIs, spend model against its baseline, segments */
  retail: {
    kpis: { revenue: number; customers: number; invoices: number; avg_ticket: number; churn_rate: number };
    spend: { best: string; rmse: number; baseline_rmse: number };
    segments: { k: number; silhouette: number; names: string[] };
    registered: { name: string; version: number; alias: string }[];
  };
  /** the loop closed: simulated users answered their playlists; acceptance from their events */
  loop: {
    days: number;
    playlists: number;
    shown: number;
    answered_plays: number;
    likes: number;
    acceptance: { shown: number; accepted: number; rate: number | null };
    /** the incremental build over the simulated days' events, and what its compaction merged */
    build: { runId: string; compaction: CompactionTotals | null };
  } | null;
}

/**
 * A live collector seals a segment every 5 s, so a day of events lands as thousands of small
 * files; the demo's weeks of events arrive in seconds, and a segment of 512 KB (~2,500 events)
 * makes a demo day of listening land as several files per table, as a live day would, for the
 * build's compaction to merge.
 */
export const DEMO_WAL_SEGMENT_BYTES = 512 << 10;

export async function runDemo(opts: DemoOptions, keep?: (server: RunningServer) => Promise<void>): Promise<DemoSummary> {
  const stages = new Stages(opts.log);
  const seed = opts.seed ?? 42;
  const walSegmentBytes = opts.walSegmentBytes ?? opts.config.walSegmentBytes ?? DEMO_WAL_SEGMENT_BYTES;
  const server = await stages.run('start the API (collector on a free port)',
    () => startServer({ ...opts.config, port: opts.config.port, walSegmentBytes }), (s) => s.url);
  try {
    const worldOptions = { seed, users: opts.users ?? 1000, tracks: opts.tracks ?? 2000, days: opts.days ?? 28 };
    const music = musicWorld(worldOptions);
    const retail = retailWorld({ seed, customers: opts.customers ?? 1500, products: opts.products ?? 400, months: opts.months ?? 24 });
    const token = opts.config.apiToken;

    const musicSent = await stages.run('generate the music world and POST its events to /v1/events', () => postEvents(
      server.url,
      withSomeInvalid(music.events(), 5000),
      { token },
    ),
    (r) => `${r.accepted} accepted, ${r.rejected} rejected (deliberately corrupted) in ${r.batches} batches`);
    const retailSent = await stages.run('generate the retail world and POST its order lines', () => postEvents(server.url, retail.events(), { token }),
      (r) => `${r.accepted} accepted, ${r.rejected} rejected`);

    const dimDir = join(opts.config.home, 'demo');
    mkdirSync(dimDir, { recursive: true });
    const wh = await Warehouse.open({ lake: server.ctx.lake, schemas: sourceSchemas() });
    try {
      await stages.run('import dimension files (users, tracks)', async () => {
        const out = [];
        for (const [name, rows] of Object.entries(music.dimensions())) {
          const file = join(dimDir, `${name}.ndjson`);
          writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
          out.push(await ingestFile(wh, file, { table: `raw.${name}` }));
        }
        return out;
      }, (r) => r.map((x) => `${x.table} ${x.rows}`).join(', '));
      await stages.run('flush the write-ahead log into Parquet', () => server.ctx.lake.flush(), (r) => `${r.records} records → ${r.files} files`);
      const ws = { config: opts.config, store: server.ctx.store, lake: server.ctx.lake, wh, close: async () => {} };
      await wh.refresh();
      const built = await stages.run('build the warehouse (the build pipeline: SQL models as tracked steps, then compaction)',
        () => executePipeline(ws, buildPipeline, { log: () => {} }),
        (r) => `${r.pipeline.stages.length - 1} models, run ${r.runId.slice(0, 8)}, ${r.layout.threads} threads; ` +
          compactionLine(r.result.compaction, r.layout));

      const recsys = await stages.run('train the recommender, playlists for every user (music pipeline)',
        () => runMusic({ config: opts.config, store: server.ctx.store, lake: server.ctx.lake, wh }, { seed, build: false }),
        (r) => `${r.chosen.model} NDCG@10 ${r.evaluation.rows.find((x) => x.model === r.chosen.model)!.ndcg10.toFixed(3)} ` +
          `= ${r.lift_over_popularity.toFixed(2)}x popularity; ${r.playlists.users} playlists`);
      const sales = await stages.run('sales analytics: KPIs, forecasts, spend model, segments (retail pipeline)',
        () => runRetail(ws, { fromLake: true, seed, log: () => {} }),
        (r) => `revenue ${r.kpis.revenue.toFixed(2)}, ${r.kpis.customers} customers; spend ${r.spend.best} ` +
          `RMSE ${r.spend.models[r.spend.best].rmse.toFixed(1)} vs baseline ${r.spend.models.baseline_last_90d.rmse.toFixed(1)}; ${r.segments.k} segments`);
      const simDays = opts.simulateDays ?? 7;
      let loop: DemoSummary['loop'] = null;
      if (simDays > 0) {
        const sim = await stages.run(`simulate ${simDays} days: users ask for their recommendations and answer them ` +
          `(GET /v1/recommendations, POST /v1/events)`, async () => {
          await waitForRecommendations(server.url, music.users[0]!.user_id, token);
          return simulateMusic({ world: worldOptions, api: server.url, token, days: simDays });
        }, (r) => `${r.requests} playlists asked, ${r.shown} tracks shown, ${r.answered.plays} played ` +
          `(${r.answered.completed} completed), ${r.answered.likes} liked, ${r.like_answers} like-model answers; ${r.background_events} other events`);
        const acc = await stages.run('flush the simulated days and build the warehouse incrementally (their new days only, then compaction)', async () => {
          await server.ctx.audit?.drain();
          await server.ctx.lake.flush();
          await wh.refresh();
          const run = await executePipeline(ws, buildPipeline, { log: () => {} });
          const [a] = await wh.query<{ shown: number; accepted: number; rate: number | null }>(
            `SELECT shown::BIGINT AS shown, accepted::BIGINT AS accepted, acceptance_rate::DOUBLE AS rate FROM curated.music_acceptance`);
          return { run, acceptance: { shown: Number(a?.shown ?? 0), accepted: Number(a?.accepted ?? 0), rate: a?.rate ?? null } };
        }, ({ run, acceptance: a }) => `run ${run.runId.slice(0, 8)}; ${compactionLine(run.result.compaction, run.layout)}; ` +
          `acceptance ${a.rate === null ? 'n/a' : (100 * a.rate).toFixed(1) + '%'} (${a.accepted} of ${a.shown} shown tracks)`);
        loop = {
          days: simDays, playlists: sim.requests, shown: sim.shown, answered_plays: sim.answered.plays, likes: sim.answered.likes, acceptance: acc.acceptance,
          build: { runId: acc.run.runId, compaction: acc.run.result.compaction },
        };
      }
      const tables = (await server.ctx.lake.catalog.tables()).map((t) => ({ table: t.table, rows: t.rows, snapshot: t.snapshot, files: t.files }));
      const [skip] = await wh.query<{ plays: number; skip_rate: number; completion_rate: number }>(
        `SELECT count(*) AS plays, avg(skipped::INT) AS skip_rate, avg(completed::INT) AS completion_rate FROM curated.plays`);
      const byGenre = await wh.query<{ genre: string; skip_rate: number }>(
        `SELECT t.genre, round(avg(p.skipped::INT), 3) AS skip_rate FROM curated.plays p JOIN curated.tracks t USING ` +
          `(track_id) GROUP BY 1 ORDER BY 2 DESC LIMIT 3`);
      // every non-cancelled order line as collected, before the sales pipeline's cleaning rules
      // (known customer, positive quantity and price): so it is above the pipeline's revenue
      const [rev] = await wh.query<{ revenue: number; invoices: number }>(
        `SELECT round(sum(revenue), 2) AS revenue, count(DISTINCT invoice_no) AS invoices FROM curated.orders WHERE NOT is_cancellation`);
      const [q] = await wh.query<{ n: number }>(`SELECT count(*) AS n FROM quarantine.events`);
      const summary: DemoSummary = {
        stages: stages.timings,
        totalSeconds: stages.total(),
        collected: {
          music: { accepted: musicSent.accepted, rejected: musicSent.rejected },
          retail: { accepted: retailSent.accepted, rejected: retailSent.rejected },
        },
        tables,
        warehouse: { runId: built.runId, compaction: built.result.compaction },
        highlights: {
          ...skip,
          most_skipped_genres: byGenre,
          retail_revenue_all_orders: rev?.revenue,
          retail_invoices_all_orders: rev?.invoices,
          quarantined: q?.n,
        },
        recommender: {
          models: recsys.evaluation.rows.map((r) => ({
            model: r.model,
            ndcg10: r.ndcg10,
            recall20: r.recall20,
            precision10: r.precision10,
            map10: r.map10,
            coverage: r.coverage,
            fit_s: r.fit_s,
          })),
          chosen: recsys.chosen.model, lift_over_popularity: recsys.lift_over_popularity,
          like_model: {
            log_loss: recsys.likes.log_loss,
            auc: recsys.likes.auc,
            auc_als_only: recsys.likes.auc_als_only,
            log_loss_base_rate: recsys.likes.log_loss_base_rate,
          },
          playlists: { users: recsys.playlists.users, cold_start: recsys.playlists.cold_start, table: recsys.playlists.table, events: recsys.playlists.events },
          registered: 'version' in recsys.tracking ? { model: recsys.tracking.model, version: recsys.tracking.version } : null,
          samples: recsys.samples,
        },
        retail: {
          kpis: {
            revenue: sales.kpis.revenue,
            customers: sales.kpis.customers,
            invoices: sales.kpis.invoices,
            avg_ticket: sales.kpis.avg_ticket,
            churn_rate: sales.kpis.churn_rate,
          },
          spend: { best: sales.spend.best, rmse: sales.spend.models[sales.spend.best].rmse, baseline_rmse: sales.spend.models.baseline_last_90d.rmse },
          segments: { k: sales.segments.k, silhouette: sales.segments.silhouette, names: sales.segments.profiles.map((p) => p.name) },
          registered: 'models' in sales.tracking ? sales.tracking.models : [],
        },
        loop,
      };
      if (keep) await keep(server);
      return summary;
    } finally {
      wh.close();
    }
  } finally {
    if (!keep) await server.close();
  }
}

/** "compaction 2,412 → 96 files (84 partitions merged toward 8 MB)" */
function compactionLine(c: CompactionTotals | null, layout: Layout): string {
  if (!c) return 'compaction reused from the resumed run';
  return `compaction ${c.filesBefore.toLocaleString('en-US')} → ${c.filesAfter.toLocaleString('en-US')} files ` +
    `(${c.partitions} partitions merged toward ${(layout.target_file_bytes / 2 ** 20).toFixed(0)} MB)`;
}
