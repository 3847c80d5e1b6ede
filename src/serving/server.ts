// Opens everything the API needs (metadata database, lake with replay), builds the app and
// listens. Without an API token it binds to 127.0.0.1 only and says so.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import { openMetaStore } from '../metadata/db.ts';
import { Lake } from '../lake/lake.ts';
import { eventLakeSchemas } from '../events/lake-schema.ts';
import { buildApp } from './app.ts';
import type { AppContext } from './context.ts';

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  close(): Promise<void>;
}

export async function openContext(config: Config, log: (m: string) => void = () => {}): Promise<AppContext> {
  const store = await openMetaStore({ home: config.home, databaseUrl: config.databaseUrl });
  const lake = await Lake.open({ home: config.home, store, schemas: eventLakeSchemas(), log });
  return { config, store, lake };
}

export async function startServer(config: Config, opts: { logger?: boolean; log?: (m: string) => void } = {}): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  const ctx = await openContext(config, log);
  const app = await buildApp(ctx, { logger: opts.logger });
  const host = config.host ?? (config.apiToken ? '0.0.0.0' : '127.0.0.1');
  if (!config.apiToken) log('no TRIBUTARY_API_TOKEN set: write endpoints are open, so the server listens on 127.0.0.1 only');
  await app.listen({ port: config.port, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    app, ctx, url,
    async close() {
      await app.close();
      await ctx.lake.close();
      await ctx.store.close();
    },
  };
}
