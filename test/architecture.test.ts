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
      if ((rank.get(to) ?? -1) > (rank.get(from) ?? Infinity)) violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)} (${from} is below ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});
