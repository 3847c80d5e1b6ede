import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { runDemo } from '../demo/run.ts';
import { printJson, printTable } from './output.ts';

export function register(program: Command): void {
  program.command('demo')
    .description('run the whole product on generated data: collect, lake, warehouse, summary')
    .option('--seed <n>', 'seed of the generated worlds', '42')
    .option('--users <n>', 'music users', '1000')
    .option('--days <n>', 'days of listening', '28')
    .option('--customers <n>', 'retail customers', '1500')
    .option('--no-serve', 'exit at the end instead of serving the API')
    .option('-p, --port <n>', 'port of the API', '8080')
    .option('--json', 'print the summary as JSON')
    .option('--stream', 'the streaming use case instead: generator, normalizer, trainer and consumer live, with their metrics (one process each with NATS_URL)')
    .option('--seconds <n>', 'with --stream: how long to run', '60')
    .option('--rate <n>', 'with --stream: generator records per second', '200')
    .option('--consumer-rate <n>', 'with --stream: consumer questions per second', '20')
    .action(async (o: {
      seed: string;
      users: string;
      days: string;
      customers: string;
      serve: boolean;
      port: string;
      json?: boolean;
      stream?: boolean;
      seconds: string;
      rate: string;
      consumerRate: string;
    }) => {
      if (o.stream) {
        const { runStreamDemo } = await import('../demo/stream.ts');
        const config = loadConfig();
        console.error(`tributary demo --stream: state in ${config.home}`);
        await runStreamDemo({
          config,
          seconds: Number(o.seconds),
          generatorRate: Number(o.rate),
          consumerRate: Number(o.consumerRate),
          bin: process.argv[1]!,
          print: (l) => console.log(l),
        });
        process.exit(0);
      }
      const config = loadConfig({ port: o.serve ? Number(o.port) : 0 });
      console.error(`tributary demo: state in ${config.home}`);
      let urls: { api: string; docs: string; openapi: string; metrics: string; health: string; models: string } | undefined;
      const summary = await runDemo({ config, seed: Number(o.seed), users: Number(o.users), days: Number(o.days), customers: Number(o.customers) },
        o.serve ? async (server) => { urls = server.urls; } : undefined);
      if (o.json) printJson(summary);
      else {
        console.log('\nStages');
        printTable(summary.stages.map((s) => ({ stage: s.stage, seconds: +s.seconds.toFixed(2), detail: s.detail })));
        console.log('\nLake tables');
        printTable(summary.tables);
        const rec = summary.recommender;
        console.log('\nRecommender (per-user time split of the lake; tuned on validation)');
        printTable(rec.models.map((m) => ({
          model: m.model,
          'ndcg@10': +m.ndcg10.toFixed(4),
          'recall@20': +m.recall20.toFixed(4),
          'precision@10': +m.precision10.toFixed(4),
          'map@10': +m.map10.toFixed(4),
          coverage: +m.coverage.toFixed(3),
          fit_s: +m.fit_s.toFixed(2),
        })));
        console.log(`  chosen: ${rec.chosen}, ${rec.lift_over_popularity.toFixed(2)}x popularity's NDCG@10; like model ` +
          `AUC ${rec.like_model.auc.toFixed(3)} (ALS alone ${rec.like_model.auc_als_only.toFixed(3)}), log ` +
          `loss ${rec.like_model.log_loss.toFixed(4)} (base rate ${rec.like_model.log_loss_base_rate.toFixed(4)})`);
        console.log(`  ${rec.playlists.users} playlists (${rec.playlists.cold_start} cold start) ` +
          `in ${rec.playlists.table}; registered ${rec.registered ? `${rec.registered.model} v${rec.registered.version}` : 'no'}`);
        for (const p of rec.samples) {
          console.log(`\n  Recommended for ${p.user_id}${p.cold_start ? ' (cold start: popular tracks)' : ''}`);
          for (const t of p.tracks) console.log(`    ${t.rank}. ${t.title} - ${t.artist} (${t.genre}): ${t.reason}`);
        }
        const sales = summary.retail;
        console.log('\nSales analytics (retail world, collected over HTTP)');
        console.log(`  revenue after the cleaning rules ${sales.kpis.revenue.toFixed(2)}, ${sales.kpis.customers} ` +
          `customers, ${sales.kpis.invoices} invoices, average ticket ${sales.kpis.avg_ticket.toFixed(2)}, churn ${(100 * sales.kpis.churn_rate).toFixed(1)}%`);
        console.log(`  90-day spend: ${sales.spend.best} RMSE ${sales.spend.rmse.toFixed(1)} vs ${sales.spend.baseline_rmse.toFixed(
          1,
        )} for "same as the last 90 days"`);
        console.log(`  ${sales.segments.k} segments (silhouette ${sales.segments.silhouette.toFixed(3)}): ${sales.segments.names.join(', ')}`);
        console.log(`  registered ${sales.registered.map((m) => `${m.name} v${m.version} (${m.alias})`).join(', ') || 'nothing'}`);
        console.log('\nHighlights');
        for (const [k, v] of Object.entries(summary.highlights)) console.log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
        console.log(`\nDone in ${summary.totalSeconds.toFixed(1)} s.`);
      }
      if (o.serve && urls) {
        const user = summary.recommender.samples[0]?.user_id ?? 'u1';
        console.log(`\nServing the API at ${urls.api}`);
        printTable([
          { what: 'dashboard', url: `${urls.api}/` },
          { what: 'Swagger UI', url: urls.docs },
          { what: 'OpenAPI 3.1', url: urls.openapi },
          { what: 'models (champions)', url: urls.models },
          { what: 'Recommended for you', url: `${urls.api}/v1/recommendations/${user}?n=10` },
          { what: 'will the user like it? (POST {"user_id": ..., "track_id": ...})', url: `${urls.api}/v1/predict/music-like` },
          { what: '90-day spend (POST {"customer_id": ...})', url: `${urls.api}/v1/predict/spend` },
          { what: 'segment + similar customers (POST)', url: `${urls.api}/v1/segment` },
          { what: 'Prometheus metrics', url: urls.metrics },
          { what: 'health', url: urls.health },
        ]);
        console.log('POST /v1/events to collect, POST /v1/predict/{model} to score; Ctrl-C to stop.');
      } else process.exit(0);
    });
}
