// The user's own SQL models, dbt-style: a `models/` folder in the project directory, one SELECT
// per file (`models/<name>.sql` builds `curated.<name>`, or the table its `-- table: zone.name`
// header names). `{{ ref('name') }}` (or bare `ref('name')`) names another model of the folder,
// or a lake table (`ref('raw.play')`, `ref('curated.orders')`); the refs make the dependency
// graph, which orders the build and answers `--select` (`name`, `+name` with its upstream,
// `name+` with its downstream). Schema tests sit in the file's header:
//   -- tests: not_null(customer_id), unique(customer_id)
// Each model is built by the same engine as ours (a 'replace' snapshot of its lake table, the
// input snapshots recorded in the snapshot's summary as its lineage), then tested; a model whose
// test fails is reported and the models downstream of it are skipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { Warehouse } from './session.ts';

export interface SchemaTest { kind: 'not_null' | 'unique'; column: string }

export interface UserModel {
  name: string;
  table: string;
  file: string;
  /** the SELECT with every ref() replaced by the table it names */
  sql: string;
  /** models of the folder this one reads */
  dependsOn: string[];
  /** lake tables read through ref('zone.name') */
  sources: string[];
  tests: SchemaTest[];
}

export class UserModelError extends Error {
  override name = 'UserModelError';
}

const REF = /\{\{\s*ref\(\s*'([^']+)'\s*\)\s*\}\}|\bref\(\s*'([^']+)'\s*\)/g;
const NAME = /^[a-z_][a-z0-9_]*$/;
const TABLE = /^[a-z_]+\.[a-z0-9_]+$/;

function listSql(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listSql(p));
    else if (e.name.endsWith('.sql')) out.push(p);
  }
  return out.sort();
}

function parseTests(text: string, file: string): SchemaTest[] {
  const tests: SchemaTest[] = [];
  for (const m of text.matchAll(/^--\s*tests?:\s*(.+)$/gm)) {
    for (const t of m[1]!.split(/,(?![^(]*\))/).map((x) => x.trim()).filter(Boolean)) {
      const tm = /^(not_null|unique)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(t);
      if (!tm) throw new UserModelError(`${file}: unknown schema test "${t}" (known: not_null(column), unique(column))`);
      tests.push({ kind: tm[1] as SchemaTest['kind'], column: tm[2]! });
    }
  }
  return tests;
}

/** Reads the folder: every model with its refs resolved; errors name the file and the ref. */
export function loadUserModels(dir: string): UserModel[] {
  if (!existsSync(dir)) return [];
  const raw = listSql(dir).map((path) => {
    const file = relative(dir, path);
    const name = basename(path, '.sql');
    if (!NAME.test(name)) throw new UserModelError(`${file}: a model's file name must be lower_snake_case (it names the table), got "${name}"`);
    const text = readFileSync(path, 'utf8');
    const header = /^--\s*table:\s*(\S+)\s*$/m.exec(text)?.[1];
    if (header && !/^(curated|features)\.[a-z0-9_]+$/.test(header)) throw new UserModelError(`${file}: "-- table: ${header}": a model writes a curated.* or features.* table`);
    const body = text.replace(/;\s*$/, '');
    if (/;\s*\S/.test(body.replace(/--.*$/gm, '').replace(/'(?:[^']|'')*'/g, "''"))) throw new UserModelError(`${file}: one SELECT per file (found several statements)`);
    return { name, file, table: header ?? `curated.${name}`, body, tests: parseTests(text, file) };
  });
  const byName = new Map<string, (typeof raw)[number]>();
  for (const m of raw) {
    const other = byName.get(m.name);
    if (other) throw new UserModelError(`model "${m.name}" is defined twice: ${other.file} and ${m.file}`);
    byName.set(m.name, m);
  }
  return raw.map((m) => {
    const dependsOn = new Set<string>(), sources = new Set<string>();
    const sql = m.body.replace(REF, (_all, a: string | undefined, b: string | undefined) => {
      const target = (a ?? b)!;
      const dep = byName.get(target);
      if (dep) { dependsOn.add(target); return tableSql(dep.table); }
      if (TABLE.test(target)) { sources.add(target); return tableSql(target); }
      throw new UserModelError(`${m.file}: ref('${target}') names no model of the folder ` +
        `(${[...byName.keys()].join(', ')}) and is not a lake table (zone.name)`);
    });
    if (dependsOn.has(m.name)) throw new UserModelError(`${m.file}: the model refers to itself`);
    return { name: m.name, table: m.table, file: m.file, sql, dependsOn: [...dependsOn].sort(), sources: [...sources].sort(), tests: m.tests };
  });
}

function tableSql(table: string): string {
  const [zone, name] = table.split('.');
  return `${zone}."${name}"`;
}

/** Dependencies first (ties by name); a cycle is an error that lists it. */
export function topoOrder(models: UserModel[]): UserModel[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: UserModel[] = [];
  const visit = (m: UserModel, path: string[]) => {
    const s = state.get(m.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(m.name)), m.name];
      throw new UserModelError(`models depend on each other in a cycle: ${cycle.join(' -> ')}`);
    }
    state.set(m.name, 'visiting');
    for (const d of m.dependsOn) visit(byName.get(d)!, [...path, m.name]);
    state.set(m.name, 'done');
    out.push(m);
  };
  for (const m of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(m, []);
  return out;
}

/** dbt's selectors: `name`, `+name` (and what it reads), `name+` (and what reads it). */
export function selectModels(models: UserModel[], selectors: string[] | undefined): UserModel[] {
  const ordered = topoOrder(models);
  if (!selectors?.length) return ordered;
  const byName = new Map(models.map((m) => [m.name, m]));
  const chosen = new Set<string>();
  const up = (n: string) => { if (chosen.has(`^${n}`)) return; chosen.add(`^${n}`); chosen.add(n); for (const d of byName.get(n)!.dependsOn) up(d); };
  const down = (n: string) => {
    if (chosen.has(`v${n}`)) return;
    chosen.add(`v${n}`);
    chosen.add(n);
    for (const m of models) if (m.dependsOn.includes(n)) down(m.name);
  };
  for (const sel of selectors) {
    const m = /^(\+)?([a-z_][a-z0-9_]*)(\+)?$/.exec(sel);
    if (!m || !byName.has(m[2]!)) throw new UserModelError(`--select ${sel}: no such model (models: ${[...byName.keys()].sort().join(', ') || 'none'})`);
    chosen.add(m[2]!);
    if (m[1]) up(m[2]!);
    if (m[3]) down(m[2]!);
  }
  return ordered.filter((x) => chosen.has(x.name));
}

export interface TestResult { model: string; test: string; column: string; failures: number; passed: boolean }

export interface UserModelRun {
  model: string;
  table: string;
  status: 'built' | 'test_failed' | 'skipped' | 'error';
  rows: number | null;
  snapshot: number | null;
  seconds: number;
  tests: TestResult[];
  /** why it was skipped or failed */
  message?: string;
}

export async function runSchemaTests(wh: Warehouse, m: UserModel): Promise<TestResult[]> {
  const out: TestResult[] = [];
  for (const t of m.tests) {
    const col = `"${t.column.replaceAll('"', '""')}"`;
    const q = t.kind === 'not_null'
      ? `SELECT count(*)::BIGINT AS n FROM ${tableSql(m.table)} WHERE ${col} IS NULL`
      : `SELECT count(*)::BIGINT AS n FROM (SELECT ${col} FROM ${tableSql(m.table)} WHERE ${col} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)`;
    const [r] = await wh.query<{ n: number }>(q);
    const failures = Number(r?.n ?? 0);
    out.push({ model: m.name, test: `${t.kind}(${t.column})`, column: t.column, failures, passed: failures === 0 });
  }
  return out;
}

/**
 * Builds the selected models in dependency order, each then tested. A model that fails (SQL
 * error or a failed test) is reported; the models downstream of it are skipped.
 */
export async function buildUserModels(wh: Warehouse, opts: { dir: string; select?: string[]; onModel?: (r: UserModelRun) => void }): Promise<UserModelRun[]> {
  const all = loadUserModels(opts.dir);
  const plan = selectModels(all, opts.select);
  const broken = new Set<string>();
  const runs: UserModelRun[] = [];
  for (const m of plan) {
    const t0 = performance.now();
    const blocked = m.dependsOn.find((d) => broken.has(d));
    let run: UserModelRun;
    if (blocked) {
      broken.add(m.name);
      run = {
        model: m.name,
        table: m.table,
        status: 'skipped',
        rows: null,
        snapshot: null,
        seconds: 0,
        tests: [],
        message: `skipped: upstream model ${blocked} failed`,
      };
    } else {
      try {
        // lineage: the snapshots of every table the model read, kept with its own snapshot
        const inputs = Object.fromEntries([
          ...m.dependsOn.map((d) => all.find((x) => x.name === d)!.table),
          ...m.sources,
        ].map((t) => [t, wh.snapshots.get(t) ?? null]));
        const r = await wh.lake.writeQuery(wh.conn, m.table, m.sql, { mode: 'replace', summary: { model: `models/${m.file}`, user_model: m.name, inputs } });
        await wh.refreshTable(m.table);
        const tests = await runSchemaTests(wh, m);
        const failed = tests.filter((x) => !x.passed);
        if (failed.length) broken.add(m.name);
        run = {
          model: m.name, table: m.table, status: failed.length ? 'test_failed' : 'built', rows: r?.rows ?? 0, snapshot: r?.snapshot ?? null, seconds: 0, tests,
          ...(failed.length
            ? { message: failed.map((f) => `${f.test} failed on ${f.failures} ${f.test.startsWith('unique') ? 'duplicated value(s)' : 'row(s)'}`).join('; ') }
            : {}),
        };
      } catch (e) {
        broken.add(m.name);
        run = {
          model: m.name,
          table: m.table,
          status: 'error',
          rows: null,
          snapshot: null,
          seconds: 0,
          tests: [],
          message: `models/${m.file}: ${(e as Error).message}`,
        };
      }
    }
    run.seconds = (performance.now() - t0) / 1000;
    opts.onModel?.(run);
    runs.push(run);
  }
  return runs;
}
