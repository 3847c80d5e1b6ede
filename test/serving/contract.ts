// The API contract, checked from the outside as a client generator would see it: /openapi.json
// must be a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator), and every
// documented operation is called with a request generated from its own schemas (openapi-sampler)
// and with a broken one; each answer's status must be documented and its body must match the
// documented schema (Ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1). Every 4xx/5xx is the
// one Problem shape; protected operations declare the bearer scheme and answer 401 without it.
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { sample } from 'openapi-sampler';

type Json = Record<string, any>;

export interface ContractReport {
  /** "METHOD /path -> status" for every call made */
  calls: string[];
  operations: number;
}

function schemaValidator(doc: Json) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false });
  ajv.addSchema({ $id: 'openapi.json', components: doc.components ?? {} });
  const cache = new Map<string, ReturnType<typeof ajv.compile>>();
  return (schema: Json, value: unknown): string | null => {
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/');
    let v = cache.get(text);
    if (!v) cache.set(text, (v = ajv.compile(JSON.parse(text))));
    return v(value) ? null : ajv.errorsText(v.errors);
  };
}

/** A value for a path or query parameter, from its schema (an example where sampling gives a placeholder). */
function paramValue(schema: Json, doc: Json): string {
  const v = sample(schema as never, { skipReadOnly: true }, doc as never);
  if (typeof v === 'string' && (v === 'string' || v === '')) return 'u1';
  return String(v);
}

export async function checkContract(baseUrl: string, opts: { token?: string } = {}): Promise<ContractReport> {
  const docRes = await fetch(`${baseUrl}/openapi.json`);
  assert.equal(docRes.status, 200);
  const doc = await docRes.json() as Json;
  const verdict = await new Validator().validate(doc as never);
  assert.ok(verdict.valid, `/openapi.json is not a valid OpenAPI document: ${JSON.stringify(verdict.errors)?.slice(0, 2000)}`);
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.components?.schemas?.Problem, 'the Problem component is documented');
  const check = schemaValidator(doc);
  const calls: string[] = [];
  let operations = 0;

  const call = async (method: string, path: string, op: Json, init: { body?: unknown; auth?: boolean; label: string }) => {
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.auth && opts.token) headers.authorization = `Bearer ${opts.token}`;
    const abort = new AbortController();
    const res = await fetch(baseUrl + path, {
      method: method.toUpperCase(),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: abort.signal,
    });
    const where = `${method.toUpperCase()} ${path} (${init.label}) -> ${res.status}`;
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      // a server-sent event stream never ends: its status and media type are what can be checked
      abort.abort();
      calls.push(where);
      assert.ok(op.responses?.[String(res.status)]?.content?.['text/event-stream'], `${where}: an event stream must be documented as text/event-stream`);
      return { status: res.status, body: null };
    }
    const text = await res.text();
    calls.push(where);
    const documented = op.responses?.[String(res.status)] ?? op.responses?.default;
    assert.ok(documented, `${where}: status not documented (documented: ${Object.keys(op.responses ?? {}).join(', ')}); body ${text.slice(0, 300)}`);
    const ct = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = documented.content ?? {};
    if (res.status >= 400) assert.equal(ct, 'application/problem+json', `${where}: errors are problem+json`);
    const media = content[ct] ?? content['application/json'];
    assert.ok(media?.schema, `${where}: no documented schema for ${ct}`);
    const body = ct.includes('json') ? JSON.parse(text) : text;
    const err = check(media.schema, body);
    assert.equal(err, null, `${where}: answer does not match its documented schema: ${err}; body ${text.slice(0, 300)}`);
    return { status: res.status, body };
  };

  for (const [template, item] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations++;
      // every documented error answer has the one shape
      for (const [code, r] of Object.entries(op.responses as Json)) {
        if (/^[45]/.test(code)) assert.equal((r as Json).content?.['application/json']?.schema?.$ref, '#/components/schemas/Problem', `${method} ${template} ${code}: not a Problem`);
      }
      let path = template;
      for (const p of (op.parameters ?? []) as Json[]) {
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(paramValue(p.schema, doc)));
      }
      const query = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query' && p.required).map(
        (p) => `${p.name}=${encodeURIComponent(paramValue(p.schema, doc))}`,
      );
      if (query.length) path += `?${query.join('&')}`;
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const body = bodySchema ? sample(bodySchema, { skipReadOnly: true }, doc as never) : undefined;
      const secured = Array.isArray(op.security) && op.security.some((s: Json) => 'bearer' in s);

      await call(method, path, op, { body, auth: true, label: 'generated request' });
      if (bodySchema) {
        // a body its schema rejects: a documented 4xx, never a 5xx
        const bad = await call(method, path, op, { body: { not_a_field: [{}] }, auth: true, label: 'broken body' });
        assert.ok(bad.status >= 400 && bad.status < 500, `${method} ${template}: a broken body got ${bad.status}`);
      }
      if (opts.token) {
        const abort = new AbortController();
        const res = await fetch(baseUrl + path, {
          method: method.toUpperCase(),
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: abort.signal,
        });
        abort.abort();
        if (res.status === 401) assert.ok(secured, `${method} ${template} needs the token but declares no security`);
        if (secured) {
          assert.equal(res.status, 401, `${method} ${template} declares security but answered ${res.status} without a token`);
          await call(method, path, op, { body, auth: false, label: 'no token' });
        }
      }
    }
  }

  // an unknown route: the same shape, documented as Problem
  for (const [method, path] of [['get', '/nope'], ['post', '/v1/nope'], ['delete', '/v1/models']] as const) {
    const res = await fetch(baseUrl + path, { method: method.toUpperCase() });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal((res.headers.get('content-type') ?? '').split(';')[0], 'application/problem+json');
    const err = check({ $ref: '#/components/schemas/Problem' }, await res.json());
    assert.equal(err, null, `unknown route answer: ${err}`);
    calls.push(`${method.toUpperCase()} ${path} (unknown route) -> 404`);
  }
  return { calls, operations };
}
