import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { startServer } from '../serving/server.ts';

export function register(program: Command): void {
  program.command('serve')
    .description('run the HTTP API (collector, predictions, docs) on embedded defaults')
    .option('-p, --port <n>', 'port (0 picks a free one)', process.env.PORT ?? '8080')
    .option('--host <host>', 'interface to bind (default 127.0.0.1 without a token, 0.0.0.0 with one)')
    .action(async (o: { port: string; host?: string }) => {
      const config = loadConfig({ port: Number(o.port), host: o.host });
      const server = await startServer(config, { logger: true, log: (m) => console.error(m) });
      console.log(`tributary API listening on ${server.url}  (docs: ${server.url}/docs)`);
      const stop = async () => { await server.close(); process.exit(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
