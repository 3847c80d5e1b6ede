// The dashboard's single-page app at `/`: the files `npm install` built into web/dist (the
// package's `prepare` script runs `vite build`), served from disk with long-lived caching for
// the content-hashed assets and none for index.html. Nothing is fetched from elsewhere: the
// app's scripts, styles, fonts (the system's) and world map are all in web/dist.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { packageRoot } from '../../util/paths.ts';

export const WEB_DIST = join(packageRoot, 'web', 'dist');

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tributary</title></head>
<body><main><h1>The dashboard is not built</h1><p>Run <code>npm run build:web</code> in the Tributary checkout
(<code>npm install</code> runs it), then reload. The API is up: see <a href="/docs">/docs</a>.</p></main></body></html>`;

export const webRoutes: FastifyPluginAsync<{ dir?: string }> = async (app, opts) => {
  const dir = opts.dir ?? WEB_DIST;
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir, prefix: '/', wildcard: false, decorateReply: false, index: ['index.html'],
    setHeaders(res, path) {
      res.header('cache-control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.header('x-content-type-options', 'nosniff');
    },
  });
};
