// SQL models: the files in sql/ build curated tables, in file-name order. Each file is one
// SELECT with a header naming its table (`-- table: zone.name`). A model is materialised as a
// 'replace' snapshot of its lake table, so curated tables are versioned like raw ones (or, in a
// build that publishes only some tables, as a session table the later models read).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/paths.ts';
import type { Warehouse } from './session.ts';

export interface SqlModel {
  table: string;
  file: string;
  sql: string;
  /**
   * Header `-- session: view`: when the model is an intermediate step (a session table), it is a
   * view over its inputs rather than a copy of its rows (for a step read only once).
   */
  view: boolean;
  /** lake tables the SELECT reads (zone.name references), in order of first mention */
  inputs: string[];
  /**
   * How an incremental build merges it (headers `-- merge: key, ...` and `-- scope: col, ...`):
   * the rows of a scope value (default: the key) depend only on input rows with that value, so
   * new input rows name the scope values to recompute, and the recomputed rows are merged by key.
   * Absent: the model cannot be merged (a global aggregate) and an incremental build rebuilds it.
   */
  incremental: { key: string[]; scope: string[]; partitionLocal: boolean } | null;
  /**
   * Header `-- partition: col`: the model's rows are built one day at a time (its `col`, a
   * date, names the day), each day from its inputs' rows of that day alone (src/warehouse/partitions.ts),
   * so the days can be built by separate processes.
   */
  partition?: string;
  /**
   * Header `-- lookahead: N` (with `-- partition:`): a row of day X may also depend on input rows
   * of the N days after it (plays: a skip in the next day's first minutes ends a play started
   * before midnight). A day build reads its inputs' days X..X+N; an incremental build by day
   * recomputes the N days before each day a looked-ahead input changed on too (see `reach`).
   */
  lookahead?: number;
  /**
   * Header `-- lookahead: N zone.name, ...`: only these inputs are read ahead (plays: raw.skip);
   * a row of day X depends on the other inputs' rows of day X alone. Absent: all of them.
   */
  lookaheadInputs?: string[];
  /**
   * Header `-- reach: expr` (with `-- lookahead:`): an expression over the model's columns, the
   * latest `ts` of a looked-ahead input row the row can depend on (plays: the end of the play's
   * span). A looked-ahead input row never adds nor removes a row of an earlier day, it only
   * changes rows that reach it: so an incremental build recomputes an earlier day only when one
   * of its stored rows reaches a changed row's ts, instead of every lookahead day.
   */
  reach?: string;
  /**
   * Header `-- within: col, ...` (a model merged by day): within a day, a row depends only on the
   * input rows that share its values of these columns (in the inputs that have them all; the
   * others are read whole for the day). So an incremental build recomputes only the values its
   * changed rows name, on their days (plays: the user and track of a new play or skip).
   */
  within?: string[];
  /**
   * Header `-- group delta: count(c) sum(a, b) over(g1, g2) lookback(ts, INTERVAL 30 MINUTE)`:
   * the model is a GROUP BY of its merge key whose columns are a count of the rows it sums (a key
   * exists while it is > 0) and sums of non-NULL values, over one input's rows, where a row's
   * contribution depends on the other rows of its group (the input rows sharing its g1, g2: a
   * window PARTITION BY them) but on no other group. So a change recomputes only the groups it
   * touches (src/warehouse/incremental/by-groups.ts). With lookback, a row depends only on the
   * rows of its group ordered before it, and on none more than the interval before it.
   */
  groupDelta?: GroupDelta;
  /**
   * Header `-- delta: sum(a, b), min(c), max(d) [facts(zone.x, ...)] [in g]`: an additive
   * aggregate merged by its change (src/warehouse/incremental/by-delta.ts).
   */
  delta?: DeltaSpec;
}

export interface GroupDelta {
  count: string;
  sum: string[];
  over: string[];
  lookback?: { column: string; interval: string };
}

const NAMES = '([a-z_][a-z0-9_]*(?:\\s*,\\s*[a-z_][a-z0-9_]*)*)';

/** The `-- group delta:` header (see SqlModel.groupDelta), or undefined. */
export function parseGroupDelta(file: string, text: string): GroupDelta | undefined {
  const line = /^--[ \t]*group delta:[ \t]*([^\n]*?)[ \t]*$/m.exec(text)?.[1];
  if (line === undefined) return undefined;
  const list = (s: string) => s.split(',').map((c) => c.trim());
  const part = (name: string) => new RegExp(`\\b${name}\\(\\s*${NAMES}\\s*\\)`).exec(line)?.[1];
  const count = part('count'), sum = part('sum'), over = part('over');
  const lookback = /\blookback\(\s*([a-z_][a-z0-9_]*)\s*,\s*(INTERVAL [^)]+?)\s*\)/i.exec(line);
  const rest = line.replace(/\b(count|sum|over|lookback)\([^)]*\)/g, '').replace(/[\s,]/g, '');
  if (!count || list(count).length !== 1 || !over || rest) {
    throw new Error(`SQL model ${file}: "-- group delta:" expects count(col), sum(...), over(cols) and optionally lookback(col, INTERVAL ...), got "${line}"`);
  }
  return {
    count, sum: sum ? list(sum) : [], over: list(over),
    ...(lookback ? { lookback: { column: lookback[1]!, interval: lookback[2]! } } : {}),
  };
}

export interface DeltaSpec {
  sum: string[];
  min: string[];
  max: string[];
  /**
   * `facts(zone.a, zone.b)`: the inputs whose rows are aggregated (a UNION ALL of them, say);
   * the others are dimensions joined to them. Absent: the one input that changed is the fact.
   */
  facts: string[] | null;
  /** the CTE holding the aggregate (`in g`), or null: the whole model is */
  cte: string | null;
}

/** The `-- delta:` header of a model, or null. */
export function parseDelta(file: string, text: string): DeltaSpec | null {
  const line = /^--\s*delta:\s*(.*?)\s*$/m.exec(text)?.[1];
  if (line === undefined) return null;
  const spec: DeltaSpec = { sum: [], min: [], max: [], facts: null, cte: null };
  const rest = line.replace(new RegExp(`\\b(sum|min|max)\\(\\s*${NAMES}\\s*\\)`, 'g'), (_m, fn: 'sum' | 'min' | 'max', cols: string) => {
    spec[fn].push(...cols.split(',').map((c) => c.trim()));
    return '';
  }).replace(/\bfacts\(\s*([a-z_]+\.[a-z0-9_]+(?:\s*,\s*[a-z_]+\.[a-z0-9_]+)*)\s*\)/, (_m, tables: string) => {
    spec.facts = tables.split(',').map((x) => x.trim());
    return '';
  }).replace(/\bin\s+([a-z_][a-z0-9_]*)\s*$/, (_m, cte: string) => {
    spec.cte = cte;
    return '';
  });
  if (rest.replace(/[\s,]/g, '') || !spec.sum.length && !spec.min.length && !spec.max.length) {
    throw new Error(`SQL model ${file}: "-- delta:" expects sum(...), min(...), max(...), optionally facts(...) and "in cte", got "${line}"`);
  }
  return spec;
}

const ZONE_REF = /\b(raw|curated|features|inference|quarantine)\.([a-z_][a-z0-9_]*)\b/g;

function columnsHeader(text: string, name: string): string[] | null {
  const m = new RegExp(`^--\\s*${name}:\\s*([a-z_][a-z0-9_]*(?:\\s*,\\s*[a-z_][a-z0-9_]*)*)\\s*$`, 'm').exec(text);
  return m ? m[1]!.split(',').map((c) => c.trim()) : null;
}

/** Parses one model file's text (its header names the table; see loadModels). */
export function parseModel(file: string, text: string): SqlModel {
  const m = /^--\s*table:\s*([a-z_]+\.[a-z0-9_]+)\s*$/m.exec(text);
  if (!m) throw new Error(`SQL model ${file}: missing "-- table: zone.name" header`);
  const table = m[1]!;
  // string literals are no references (the validation report's descriptions name tables)
  const body = text.split('\n').filter((l) => !l.trimStart().startsWith('--')).join('\n').replace(/'(?:[^']|'')*'/g, "''");
  const inputs = [...new Set([...body.matchAll(ZONE_REF)].map((r) => `${r[1]}.${r[2]}`))].filter((t) => t !== table);
  const key = columnsHeader(text, 'merge');
  const scope = columnsHeader(text, 'scope');
  if (scope && !key) throw new Error(`SQL model ${file}: "-- scope:" needs a "-- merge:" key`);
  const partition = columnsHeader(text, 'partition')?.[0];
  const lookahead = /^--[ \t]*lookahead:[ \t]*(\S+)([^\n]*)$/m.exec(text);
  const ahead = lookahead?.[1];
  if (ahead !== undefined && !/^\d+$/.test(ahead)) throw new Error(`SQL model ${file}: "-- lookahead:" expects a whole number of days, got "${ahead}"`);
  if (ahead !== undefined && !partition) throw new Error(`SQL model ${file}: "-- lookahead:" needs a "-- partition:" day column`);
  const aheadList = lookahead?.[2]?.trim();
  const aheadInputs = aheadList ? aheadList.split(',').map((t) => t.trim()) : undefined;
  const notInput = aheadInputs?.find((t) => !inputs.includes(t));
  if (notInput !== undefined) throw new Error(`SQL model ${file}: "-- lookahead:" names "${notInput}", which is not one of its inputs (${inputs.join(', ')})`);
  const reach = /^--[ \t]*reach:[ \t]*([^\n]*?)[ \t]*$/m.exec(text)?.[1];
  if (reach !== undefined && (!ahead || ahead === '0')) throw new Error(`SQL model ${file}: "-- reach:" needs a "-- lookahead:" of a day or more`);
  if (reach === '') throw new Error(`SQL model ${file}: "-- reach:" needs an expression`);
  const within = columnsHeader(text, 'within') ?? undefined;
  if (within && !(partition && scope?.length === 1 && scope[0] === partition)) {
    throw new Error(`SQL model ${file}: "-- within:" needs a model merged by day ("-- scope:" equal to "-- partition:")`);
  }
  const groupDelta = parseGroupDelta(file, text);
  const delta = parseDelta(file, text);
  if (groupDelta && !key) throw new Error(`SQL model ${file}: "-- group delta:" needs a "-- merge:" key`);
  return {
    table, file, sql: text.replace(/;\s*$/, ''), view: /^--\s*session:\s*view\b/m.test(text), inputs,
    // `-- partition-local: true`: all input rows of a scope value sit in one dt= partition (an
    // event's copies share its day), so a changed raw input is read only in the changed partitions
    incremental: key ? { key, scope: scope ?? key, partitionLocal: /^--\s*partition-local:\s*true\s*$/m.test(text) } : null,
    ...(partition ? { partition } : {}),
    ...(ahead !== undefined ? { lookahead: Number(ahead) } : {}),
    ...(aheadInputs ? { lookaheadInputs: aheadInputs } : {}),
    ...(reach ? { reach } : {}),
    ...(within ? { within } : {}),
    ...(groupDelta ? { groupDelta } : {}),
    ...(delta ? { delta } : {}),
  };
}

export const SQL_DIR = join(packageRoot, 'src', 'warehouse', 'sql');

export function loadModels(dir = SQL_DIR): SqlModel[] {
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((file) => parseModel(file, readFileSync(join(dir, file), 'utf8')));
}

export interface ModelRun {
  table: string;
  /** null for a session view (its rows are computed when it is read) */
  rows: number | null;
  /** the lake snapshot written; null for a session table */
  snapshot: number | null;
  seconds: number;
}

/**
 * Builds every model (or those whose table is listed in `only`), each a 'replace' snapshot of its
 * lake table, re-pointing only that table's view after it. Tables not in `publish` (when it is
 * given) are intermediate steps of this build: session tables, never written to the lake.
 */
export async function buildModels(
  wh: Warehouse,
  opts: { only?: string[]; publish?: string[]; dir?: string; onModel?: (r: ModelRun) => void } = {},
): Promise<ModelRun[]> {
  const out: ModelRun[] = [];
  for (const model of loadModels(opts.dir)) {
    if (opts.only && !opts.only.includes(model.table)) continue;
    const t = performance.now();
    let run: ModelRun;
    try {
      if (opts.publish && !opts.publish.includes(model.table)) {
        const r = await wh.sessionTable(model.table, model.sql, { view: model.view });
        run = { table: model.table, rows: r.rows, snapshot: null, seconds: 0 };
      } else {
        const r = await wh.lake.writeQuery(wh.conn, model.table, model.sql, { mode: 'replace', summary: { model: model.file } });
        await wh.refreshTable(model.table);
        run = { table: model.table, rows: r.rows, snapshot: r.snapshot, seconds: 0 };
      }
    } catch (e) {
      throw new Error(`SQL model ${model.file} (${model.table}) failed: ${(e as Error).message}`, { cause: e });
    }
    run.seconds = (performance.now() - t) / 1000;
    opts.onModel?.(run);
    out.push(run);
  }
  return out;
}
