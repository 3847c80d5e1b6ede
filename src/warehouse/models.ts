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
}

export const SQL_DIR = join(packageRoot, 'src', 'warehouse', 'sql');

export function loadModels(dir = SQL_DIR): SqlModel[] {
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const m = /^--\s*table:\s*([a-z_]+\.[a-z0-9_]+)\s*$/m.exec(text);
    if (!m) throw new Error(`SQL model ${file}: missing "-- table: zone.name" header`);
    return { table: m[1]!, file, sql: text.replace(/;\s*$/, ''), view: /^--\s*session:\s*view\b/m.test(text) };
  });
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
export async function buildModels(wh: Warehouse, opts: { only?: string[]; publish?: string[]; dir?: string; onModel?: (r: ModelRun) => void } = {}): Promise<ModelRun[]> {
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
      throw new Error(`SQL model ${model.file} (${model.table}) failed: ${(e as Error).message}`);
    }
    run.seconds = (performance.now() - t) / 1000;
    opts.onModel?.(run);
    out.push(run);
  }
  return out;
}
