// Liveness and readiness: /healthz answers while the process runs; /readyz once the metadata
// database answers (the lake has already replayed its segments before the server listens).
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.ts';

export const healthRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(ctx.store.db);
      return { status: 'ready' };
    } catch (e) {
      return reply.code(503).send({ status: 'not ready', message: (e as Error).message });
    }
  });
};
