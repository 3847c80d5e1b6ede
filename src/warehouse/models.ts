// SQL models: the files in sql/ build curated tables, in file-name order. Each file is one
// SELECT with a header naming its table (`-- table: zone.name`). A model is materialised as a
// 'replace' snapshot of its lake table, so curated tables are versioned like raw ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/paths.ts';
import type { Warehouse } from './session.ts';

export interface SqlModel {
  table: string;
  file: string;
  sql: string;
}

export const SQL_DIR = join(packageRoot, 'src', 'warehouse', 'sql');

export function loadModels(dir = SQL_DIR): SqlModel[] {
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const m = /^--\s*table:\s*([a-z_]+\.[a-z0-9_]+)\s*$/m.exec(text);
    if (!m) throw new Error(`SQL model ${file}: missing "-- table: zone.name" header`);
    return { table: m[1]!, file, sql: text.replace(/;\s*$/, '') };
  });
}

export interface ModelRun {
  table: string;
  rows: number;
  snapshot: number;
  seconds: number;
}

/** Builds every model (or those whose table is listed), refreshing views after each. */
export async function buildModels(wh: Warehouse, opts: { only?: string[]; dir?: string; onModel?: (r: ModelRun) => void } = {}): Promise<ModelRun[]> {
  const out: ModelRun[] = [];
  for (const model of loadModels(opts.dir)) {
    if (opts.only && !opts.only.includes(model.table)) continue;
    const t = performance.now();
    let r;
    try {
      r = await wh.lake.writeQuery(wh.conn, model.table, model.sql, { mode: 'replace', summary: { model: model.file } });
    } catch (e) {
      throw new Error(`SQL model ${model.file} (${model.table}) failed: ${(e as Error).message}`);
    }
    await wh.refresh();
    const run = { table: model.table, rows: r.rows, snapshot: r.snapshot, seconds: (performance.now() - t) / 1000 };
    opts.onModel?.(run);
    out.push(run);
  }
  return out;
}
