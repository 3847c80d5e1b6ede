import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { startServer } from '../serving/server.ts';

// Latency tip: each request allocates a few short-lived objects, and with Node's default 16 MB
// young generation the scavenges come dozens of times a second; on a busy machine each can stall
// the event loop for milliseconds. NODE_OPTIONS=--max-semi-space-size=64 makes them rarer (the
// serve benchmark runs with it). Not set from here: re-running the process with the flag would
// leave a server behind when a supervisor kills the first process.
export function register(program: Command): void {
  program.command('serve')
    .description('run the HTTP API (collector, predictions, segments, recommendations, docs, metrics) on embedded defaults')
    .option('-p, --port <n>', 'port (0 picks a free one)', process.env.PORT ?? '8080')
    .option('--host <host>', 'interface to bind (default 127.0.0.1 without a token, 0.0.0.0 with one)')
    .option('--poll-ms <n>', 'how often to check the registry for promotions (ms)', '1000')
    .action(async (o: { port: string; host?: string; pollMs: string }) => {
      const config = loadConfig({ port: Number(o.port), host: o.host });
      const server = await startServer(config, { logger: true, log: (m) => console.error(m), pollMs: Number(o.pollMs) });
      // the banner is for a person: stderr; stdout carries only the JSON request log
      console.error(`tributary API listening on ${server.url}  (dashboard: ${server.url}/, docs: ${server.urls.docs})`);
      console.error(`  OpenAPI  ${server.urls.openapi}\n  metrics  ${server.urls.metrics}\n  models   ${server.urls.models}`);
      const stop = async () => { await server.close(); process.exit(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
