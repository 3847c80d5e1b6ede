// The HTTP face of a background process (a lake writer, a streaming service, a worker): GET
// /healthz (200 while it works, 503 with the reason when it cannot), GET /metrics (Prometheus)
// and GET /v1/status (the process's own JSON figures, what the dashboard reads). Node's http
// module is enough for three routes; the API's Fastify app is for the product's API.
import { createServer, type Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface ProcessShellOptions {
  /** process name, e.g. "stream-normalizer" (the metrics' `service` label) */
  name: string;
  port: number;
  host?: string;
  /** null when healthy, else why not */
  health: () => string | null;
  /** figures for /v1/status */
  status: () => Record<string, unknown>;
  /** POST routes taking and answering JSON; a thrown error with `statusCode` 4xx is the client's */
  post?: Record<string, (body: unknown) => Promise<unknown>>;
}

export interface ProcessShell {
  registry: Registry;
  url: string;
  close(): Promise<void>;
}

export async function startProcessShell(opts: ProcessShellOptions, registry = new Registry()): Promise<ProcessShell> {
  registry.setDefaultLabels({ service: opts.name });
  collectDefaultMetrics({ register: registry, prefix: 'tributary_' });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string) => { res.writeHead(code, { 'content-type': type }); res.end(body); };
    const route = req.method === 'POST' ? opts.post?.[path ?? ''] : undefined;
    if (route) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body: unknown;
        try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) {
          return send(400, 'application/json', JSON.stringify({ error: 'malformed_json', message: (e as Error).message }));
        }
        route(body).then((out) => send(200, 'application/json', JSON.stringify(out)), (e: Error & { statusCode?: number }) => {
          const code = e.statusCode && e.statusCode < 500 ? e.statusCode : 500;
          send(code, 'application/json', JSON.stringify({ error: code < 500 ? 'invalid_request' : 'internal_error', message: e.message }));
        });
      });
      return;
    }
    if (req.method !== 'GET') return send(405, 'application/json', JSON.stringify({ error: 'method_not_allowed', message: 'GET only' }));
    if (path === '/healthz') {
      const problem = opts.health();
      const health = problem ? { status: 'unhealthy', message: problem } : { status: 'ok', service: opts.name };
      return send(problem ? 503 : 200, 'application/json', JSON.stringify(health));
    }
    if (path === '/metrics') {
      void registry.metrics().then((text) => send(200, registry.contentType, text), (e: Error) => send(500, 'text/plain', e.message));
      return;
    }
    if (path === '/v1/status') return send(200, 'application/json', JSON.stringify({ service: opts.name, pid: process.pid, ...opts.status() }));
    send(404, 'application/json', JSON.stringify({ error: 'not_found', message: `no route ${path}: try /healthz, /metrics, /v1/status` }));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(opts.port, host, () => resolve()); });
  const port = (server.address() as { port: number }).port;
  return {
    registry,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
