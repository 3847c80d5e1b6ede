// The server's log: pino JSON lines on stdout, one per request at level info (method, route,
// status, time), warnings and errors as they come. Human messages of the server's start-up (the
// banner, the URLs) go to stderr (see cli/serve.ts), so stdout is one format a log shipper reads.
import pino from 'pino';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

export function requestLogger(level: string): FastifyBaseLogger {
  return pino({ level, redact: ['req.headers.authorization'] }, pino.destination({ dest: 1, sync: true }));
}

/** One line per answered request instead of Fastify's two (incoming + completed). */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (req, reply, done) => {
    if ((req.log as { isLevelEnabled?(l: string): boolean }).isLevelEnabled?.('info') !== false) {
      req.log.info({
        method: req.method, url: req.url, route: req.routeOptions.url ?? null, status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100, ...(req.inference ? { model: req.inference.model, version: req.inference.version } : {}),
      }, 'request');
    }
    done();
  });
}
