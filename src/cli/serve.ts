import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { startServer } from '../serving/server.ts';

/**
 * A larger young generation (V8's semi-space) for the API process: each request allocates a few
 * short-lived objects, and with Node's default 16 MB nursery the scavenges come dozens of times a
 * second; on a busy machine each can stall the event loop for milliseconds, which is what p99
 * latency sees. Set with TRIBUTARY_SEMI_SPACE_MB (0 keeps Node's default); V8 reads it at start,
 * so the command re-runs itself once with the flag.
 */
function respawnWithGcTuning(): boolean {
  const mb = Number(process.env.TRIBUTARY_SEMI_SPACE_MB ?? 64);
  const already = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-semi-space-size'));
  if (!(mb > 0) || already || process.env.TRIBUTARY_SERVE_CHILD === '1') return false;
  const child = spawn(process.execPath, [`--max-semi-space-size=${Math.round(mb)}`, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, TRIBUTARY_SERVE_CHILD: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return true;
}

export function register(program: Command): void {
  program.command('serve')
    .description('run the HTTP API (collector, predictions, segments, recommendations, docs, metrics) on embedded defaults')
    .option('-p, --port <n>', 'port (0 picks a free one)', process.env.PORT ?? '8080')
    .option('--host <host>', 'interface to bind (default 127.0.0.1 without a token, 0.0.0.0 with one)')
    .option('--poll-ms <n>', 'how often to check the registry for promotions (ms)', '1000')
    .action(async (o: { port: string; host?: string; pollMs: string }) => {
      if (respawnWithGcTuning()) return;
      const config = loadConfig({ port: Number(o.port), host: o.host });
      const server = await startServer(config, { logger: true, log: (m) => console.error(m), pollMs: Number(o.pollMs) });
      console.log(`tributary API listening on ${server.url}  (docs: ${server.urls.docs})`);
      console.log(`  OpenAPI  ${server.urls.openapi}\n  metrics  ${server.urls.metrics}\n  models   ${server.urls.models}`);
      const stop = async () => { await server.close(); process.exit(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
