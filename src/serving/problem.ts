// One error shape for every 4xx and 5xx answer of the API: RFC 9457 problem details
// (application/problem+json), with two extension members kept from the first API so existing
// clients go on working: `error` (the stable machine code, also the end of `type`) and `message`
// (the same text as `detail`). Routes keep answering `reply.code(4xx).send({ error, message,
// field? })` as before; one preSerialization hook turns any such body into a problem, so
// routes added later get the shape without knowing of it. Unknown routes, Fastify's own client
// errors (body too large, bad content type, validation) and crashes go through the same door.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { redactPaths } from '../util/redact.ts';

export const PROBLEM_TYPE_PREFIX = 'urn:tributary:problem:';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const Problem = z.looseObject({
  type: z.string().describe(`${PROBLEM_TYPE_PREFIX}<error>: identifies the kind of problem`),
  title: z.string().describe('short summary of the kind of problem (the same for every occurrence)'),
  status: z.number().int().min(400).max(599).describe('the HTTP status code'),
  detail: z.string().describe('what was wrong in this request, naming the field'),
  instance: z.string().optional().describe('the request path'),
  error: z.string().describe('machine-readable code, e.g. invalid_request, not_found, unauthorized'),
  message: z.string().describe('the same as detail (kept for clients of the first API)'),
  field: z.string().optional().describe('path of the offending field, e.g. rows[2].age'),
  line: z.number().int().optional().describe('line of the body (malformed JSON, NDJSON)'),
  column: z.number().int().optional().describe('column of the body (malformed JSON)'),
}).describe('RFC 9457 problem details: the shape of every 4xx and 5xx answer');

export type ProblemBody = z.infer<typeof Problem>;

/** Titles of the codes the API uses; an unknown code gets the HTTP status phrase. */
const TITLES: Record<string, string> = {
  invalid_request: 'The request does not match its schema',
  bad_request: 'Bad request',
  malformed_json: 'The body is not well-formed JSON',
  events_rejected: 'Every event of the batch was rejected',
  invalid_utf8: 'The body is not valid UTF-8',
  not_found: 'Not found',
  route_not_found: 'No such route',
  unauthorized: 'A valid bearer token is required',
  body_too_large: 'The body is too large',
  batch_too_large: 'The batch holds too many items',
  unsupported_media_type: 'Unsupported content type',
  model_unloadable: 'The model version cannot be loaded',
  storage_unavailable: 'Events cannot be made durable now',
  not_ready: 'The server is not ready',
  features_unavailable: 'Online features are not loaded yet',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
};

export function problem(status: number, error: string, detail: string, extra: Record<string, unknown> = {}): ProblemBody {
  return {
    type: PROBLEM_TYPE_PREFIX + error, title: TITLES[error] ?? STATUS_CODES[status] ?? 'Error', status, detail,
    ...extra, error, message: detail,
  };
}

function isProblem(b: unknown): b is ProblemBody {
  return typeof b === 'object' && b !== null && typeof (b as ProblemBody).type === 'string' && typeof (b as ProblemBody).status === 'number';
}

/** A route's error body ({ error, message, ...}) as a problem; anything else is wrapped whole. */
export function toProblem(status: number, body: unknown, instance?: string): ProblemBody {
  if (isProblem(body)) return body;
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const { error, message, detail, statusCode: _s, ...rest } = b;
  const code = typeof error === 'string' && /^[a-z][a-z0-9_]*$/.test(error) ? error : status >= 500 ? 'internal_error' : 'bad_request';
  const text = typeof message === 'string' ? message : typeof detail === 'string' ? detail : typeof body === 'string' ? body : STATUS_CODES[status] ?? 'error';
  return problem(status, code, text, { ...rest, ...(instance ? { instance } : {}) });
}

/** "rows[0].age" from a validation error's JSON pointer ("/rows/0/age"). */
export function fieldOf(context: string | undefined, instancePath: string | undefined): string {
  const parts = (instancePath ?? '').split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || (context === 'body' ? '(body)' : context ?? '(request)');
}

function errorCode(err: FastifyError & { code?: string }, status: number): string {
  if (err.validation) return 'invalid_request';
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'body_too_large';
    case 'TRIB_INVALID_UTF8': return 'invalid_utf8';
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return 'malformed_json';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported_media_type';
  }
  if (err instanceof SyntaxError) return 'malformed_json';
  if (status === 429) return 'rate_limited';
  return status >= 500 ? 'internal_error' : 'bad_request';
}

/**
 * Installs the error handler, the not-found handler and the hook that makes every 4xx/5xx body
 * a problem. Call once on the root app, before the route plugins.
 */
export function installProblemDetails(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode < 400) return payload;
    void reply.type(PROBLEM_CONTENT_TYPE);
    return toProblem(reply.statusCode, payload, req.url.split('?')[0]);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(problem(
      404,
      'route_not_found',
      `no route ${req.method} ${req.url.split('?')[0]} (GET /openapi.json lists the routes)`,
      { instance: req.url.split('?')[0] },
    ));
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    // Fastify's own client errors (too large, bad content type, validation) keep their 4xx.
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : err.validation ? 400 : 500;
    if (status >= 500) req.log.error(err);
    if (err.validation?.length) {
      // the first problem, named by its path: "rows[2].age: expected number, received string"
      const v = err.validation[0]!;
      const field = fieldOf(err.validationContext, v.instancePath);
      const where = err.validationContext && err.validationContext !== 'body' ? `${err.validationContext} ` : '';
      return reply.code(400).send(problem(400, 'invalid_request', `${where}${field}: ${v.message ?? 'invalid'}`, { field }));
    }
    void reply.code(status).send(problem(status, errorCode(err, status), status >= 500 ? 'internal error' : redactPaths(String(err.message))));
  });
}
