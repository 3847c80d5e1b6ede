// Data flows one way through src/ (ARCHITECTURE.md): a lower layer never imports a higher one.
// This reads every import (static and dynamic) of every source file and checks the direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', 'src');

// Lowest first. ml/ is a pure numeric library (it knows nothing of lakes, HTTP or the registry),
// so anything may use it; everything above builds on what is below. tracking/ holds records
// (runs, registry, lineage) and imports nothing above metadata/; pipeline/ is the jobs layer
// that runs the use cases' steps, above analytics/.
const LAYERS = [
  ['util', 'config', 'types'],
  ['ml'],
  ['metadata'],
  ['tracking'],
  ['lake', 'bus'],
  ['events'],
  ['warehouse'],
  ['features'],
  ['analytics', 'monitoring'],
  ['pipeline'],
  ['serving'],
  ['demo'],
  ['cli'],
];
const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const topFolder = (file: string) => relative(SRC, file).split('/')[0]!;

test('every top-level folder of src/ has a layer', () => {
  const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
  const missing = folders.filter((f) => !rank.has(f));
  assert.deepEqual(missing, [], `add these folders to LAYERS in ${relative(process.cwd(), import.meta.filename)}`);
});

test('no layer imports a higher one', () => {
  const violations: string[] = [];
  for (const file of sources(SRC)) {
    const from = topFolder(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(SRC + '/')) continue;
      const to = topFolder(target);
      if ((rank.get(to) ?? -1) > (rank.get(from) ?? Infinity)) {
        violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} is below ${to})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

// Value imports only (`import type` is erased at run time; a dynamic import() loads late, so it
// cannot see a half-initialised module). The cycle check covers all of src/: a module in a
// cycle may be loaded half-initialised (ml/registry.ts imports every estimator, so one of them
// importing the factory back would be; serving/model-check.ts <-> predictor.ts was one).
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)].map((m) => resolve(dirname(file), m[1]!));
}

/** Every cycle of value imports among the given files, as `a.ts -> b.ts -> a.ts`. */
function importCycles(files: string[]): string[] {
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, valueImports(f).filter((t) => known.has(t))]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open'); path.push(f);
    for (const t of graph.get(f)!) {
      if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t].map((p) => relative(SRC, p)).join(' -> '));
      else if (!state.has(t)) visit(t);
    }
    path.pop(); state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

test('no import cycles anywhere in src/', () => {
  assert.deepEqual(importCycles(sources(SRC)), []);
});

// A table's row type is declared once, in metadata/schema.ts (what Kysely's queries are typed
// by); code that handles rows uses it (or Selectable<Database['table']>) rather than writing the
// same fields out again, which would not follow a new or renamed column. This looks for type
// declarations (interfaces, type aliases, inline parameter types) with exactly a row's fields.
test('no source file re-declares a metadata table row type', () => {
  const noComments = (s: string) => s.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  const fieldsOf = (body: string) => [...body.matchAll(/(?:^|[;,{\n])\s*(?:readonly\s+)?([A-Za-z_]\w*)\??\s*:/g)].map((m) => m[1]!).sort().join(',');
  const schemaFile = join(SRC, 'metadata', 'schema.ts');
  const rows = new Map<string, string>();
  for (const m of noComments(readFileSync(schemaFile, 'utf8')).matchAll(/interface (\w+Row) \{([^{}]*)\}/g)) rows.set(fieldsOf(m[2]!), m[1]!);
  assert.ok(rows.size >= 20, `read ${rows.size} row types from metadata/schema.ts`);
  const typeBody = /(?:\binterface\s+\w+(?:<[^>]*>)?(?:\s+extends\s+[^{]+)?|\btype\s+\w+(?:<[^>]*>)?\s*=|[(,]\s*\w+\??\s*:)\s*\{([^{}]*)\}/g;
  const found: string[] = [];
  for (const file of sources(SRC)) {
    if (file === schemaFile) continue;
    for (const m of noComments(readFileSync(file, 'utf8')).matchAll(typeBody)) {
      const fields = fieldsOf(m[1]!);
      if (fields.split(',').length >= 3 && rows.has(fields)) found.push(`${relative(SRC, file)} declares ${rows.get(fields)}'s fields`);
    }
  }
  assert.deepEqual(found, []);
});
