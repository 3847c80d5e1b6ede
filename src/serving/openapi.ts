// The OpenAPI document: generated from the zod schemas the routes validate with. Schemas that
// deserve a name (the problem shape, each served model's feature row) are added to the app's own
// schema registry and come out as `components.schemas` referenced by `$ref`. The registry
// belongs to one build of the app: when the served models change the app is rebuilt (see
// server.ts) and so is the document, so a model's component always describes its champion.
import { z } from 'zod';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';

export type SchemaRegistry = ReturnType<typeof newSchemaRegistry>;

export function newSchemaRegistry() {
  return z.registry<{ id: string }>();
}

type Doc = { paths?: Record<string, unknown>; components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>;

const REF = '#/components/schemas/';

function walk(v: unknown, f: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) { for (const x of v) walk(x, f); return; }
  if (v === null || typeof v !== 'object') return;
  f(v as Record<string, unknown>);
  for (const x of Object.values(v)) walk(x, f);
}

/**
 * The transform library emits every registered schema twice (`X` for answers, `XInput` for
 * requests). Where the two are the same schema, or only one is used, one name is kept (the
 * plain one); components no route refers to are dropped.
 */
export function tidyComponents(doc: Doc): Doc {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  const rename = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    if (!name.endsWith('Input')) continue;
    const base = name.slice(0, -'Input'.length);
    if (!(base in schemas) || JSON.stringify(schemas[base]) === JSON.stringify(schemas[name])) rename.set(name, base);
  }
  const text = JSON.stringify(
    doc,
    (k, v) => (k === '$ref' && typeof v === 'string' && v.startsWith(REF) && rename.has(v.slice(REF.length)) ? REF + rename.get(v.slice(REF.length)) : v),
  );
  const out = JSON.parse(text) as Doc;
  const all = out.components!.schemas!;
  for (const [from, to] of rename) { if (!(to in all)) all[to] = all[from]; delete all[from]; }
  // keep what the paths reach, following refs between components
  const used = new Set<string>();
  const visit = (v: unknown) => walk(v, (o) => {
    const r = o.$ref;
    if (typeof r === 'string' && r.startsWith(REF) && !used.has(r.slice(REF.length))) { used.add(r.slice(REF.length)); visit(all[r.slice(REF.length)]); }
  });
  visit(out.paths);
  for (const name of Object.keys(all)) if (!used.has(name)) delete all[name];
  return out;
}

/** @fastify/swagger's transform and transformObject over one app's registry. */
export function openApiTransforms(registry: SchemaRegistry) {
  const transform = createJsonSchemaTransform({ schemaRegistry: registry });
  const base = createJsonSchemaTransformObject({ schemaRegistry: registry });
  const transformObject = (doc: Parameters<typeof base>[0]) => tidyComponents(base(doc) as Doc) as ReturnType<typeof base>;
  return { transform, transformObject };
}
