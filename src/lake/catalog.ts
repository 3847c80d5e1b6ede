// The lake catalog: which Parquet files make up each table at each numbered snapshot.
// Files are immutable; a commit adds (and, for compaction, retires) files in one transaction
// of the metadata database, so readers see a table either before or after a commit, never half.
import type { MetaStore } from '../metadata/db.ts';
import { nowIso, writeTransaction } from '../metadata/db.ts';

export interface LakeFile {
  /** relative to the lake root, e.g. raw/play/dt=2026-11-23/part-....parquet */
  path: string;
  partition: string;
  rows: number;
  bytes: number;
}

/**
 * A delete file (deletes on read, src/lake/deletes.ts): the positions (0-based row numbers) of
 * rows of one data file that are deleted, from the snapshot that adds it on.
 */
export interface DeleteFile extends LakeFile {
  /** the data file (lake-relative path) whose rows it deletes */
  of: string;
}

export interface TableChange {
  /** "zone.name" */
  table: string;
  add: LakeFile[];
  /** delete files to add, each naming a live data file (a merge that deletes on read) */
  addDeletes?: DeleteFile[];
  /** paths of live files this commit retires (compaction, replace, merge), with their delete files */
  remove?: string[];
  /**
   * partitions (e.g. `dt=2026-11-23`) whose live files this commit retires, whichever they are
   * when it commits: a partition rebuilt by one of several concurrent builders replaces what is
   * there, with no list read beforehand that another commit could make stale
   */
  replacePartitions?: string[];
  operation: 'append' | 'compact' | 'replace' | 'merge';
}

export interface TableInfo {
  table: string;
  zone: string;
  name: string;
  snapshot: number;
  files: number;
  rows: number;
  bytes: number;
}

export interface SnapshotInfo {
  snapshot: number;
  parent: number | null;
  operation: string;
  committedAt: string;
  addedFiles: number;
  removedFiles: number;
  addedRows: number;
  totalRows: number;
  summary: Record<string, unknown>;
}

export class SegmentAlreadyCommitted extends Error {
  override name = 'SegmentAlreadyCommitted';
}

export class UnknownTableError extends Error {
  override name = 'UnknownTableError';
}

export function splitTableName(table: string): { zone: string; name: string } {
  const m = /^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$/.exec(table);
  if (!m) throw new Error(`invalid table name "${table}": expected zone.name in lower case (e.g. raw.play)`);
  return { zone: m[1]!, name: m[2]! };
}

/** Snapshot file lists kept in memory (least recently used dropped first). */
const SNAPSHOT_FILES_CACHE = 256;

export class Catalog {
  constructor(private readonly store: MetaStore) {}

  /**
   * A table's id never changes once made (tables are never dropped), and the files a committed
   * snapshot lists never change either (a commit makes a new snapshot; retired files keep their
   * added_in and removed_in): both are kept in memory, so the ~150 file listings of a pipeline
   * run (views, merges, change reads, the runner's counts) query the database once per snapshot.
   * Another process's commits make new snapshots, which are read as usual.
   */
  private readonly tableIds = new Map<string, number>();
  private readonly snapshotFiles = new Map<string, readonly (LakeFile & { of: string | null })[]>();

  /**
   * Commits changes to one or more tables atomically. When `segment` is given, it is recorded in
   * the same transaction, and a second commit of the same segment fails with
   * SegmentAlreadyCommitted: that is what makes replay after a crash exactly-once.
   */
  async commit(changes: TableChange[], opts: { segment?: string; segments?: string[]; summary?: Record<string, unknown> } = {}): Promise<Map<string, number>> {
    return writeTransaction(this.store, async (trx) => {
      // several marks (a lake writer's batch of stream messages) are recorded like one segment
      const marks = [...(opts.segment ? [opts.segment] : []), ...(opts.segments ?? [])];
      if (marks.length) {
        const seen = await trx.selectFrom('lake_committed_segments').select('segment').where('segment', 'in', marks).executeTakeFirst();
        if (seen) throw new SegmentAlreadyCommitted(`segment ${seen.segment} is already committed`);
        await trx.insertInto('lake_committed_segments').values(marks.map((segment) => ({ segment, committed_at: nowIso() }))).execute();
      }
      const out = new Map<string, number>();
      for (const ch of changes) {
        const { zone, name } = splitTableName(ch.table);
        let row = await this.lockTable(trx, zone, name);
        if (!row) {
          await trx.insertInto('lake_tables').values({ zone, name, created_at: nowIso(), current_snapshot: 0 })
            .onConflict((oc) => oc.columns(['zone', 'name']).doNothing()).execute();
          row = await this.lockTable(trx, zone, name);
        }
        const tableId = row!.id;
        const parent = row!.current_snapshot;
        const snapshot = parent + 1;
        const prevTotal = parent === 0 ? 0 : Number((await trx.selectFrom('lake_snapshots').select('total_rows')
          .where('table_id', '=', tableId).where('snapshot_id', '=', parent).executeTakeFirstOrThrow()).total_rows);
        // a table's rows: its live data files' rows minus its live delete files' positions
        let removedRows = 0;
        if (ch.remove?.length) {
          const live = await trx.selectFrom('lake_files').select(['path', 'rows'])
            .where('table_id', '=', tableId).where('path', 'in', ch.remove).where('removed_in', 'is', null).where('deletes_of', 'is', null).execute();
          if (live.length !== ch.remove.length) {
            throw new Error(`commit to ${ch.table}: ${ch.remove.length - live.length} of the files to remove are not live (a concurrent commit?)`);
          }
          removedRows = live.reduce((a, f) => a + Number(f.rows), 0);
          await trx.updateTable('lake_files').set({ removed_in: snapshot })
            .where('table_id', '=', tableId).where('path', 'in', ch.remove).execute();
          // a retired data file's delete files retire with it (its rewrite folded them in)
          const deletes = await trx.selectFrom('lake_files').select(['path', 'rows'])
            .where('table_id', '=', tableId).where('deletes_of', 'in', ch.remove).where('removed_in', 'is', null).execute();
          if (deletes.length) {
            removedRows -= deletes.reduce((a, f) => a + Number(f.rows), 0);
            await trx.updateTable('lake_files').set({ removed_in: snapshot })
              .where('table_id', '=', tableId).where('path', 'in', deletes.map((f) => f.path)).execute();
          }
        }
        let removedFiles = ch.remove?.length ?? 0;
        if (ch.replacePartitions?.length) {
          const live = await trx.selectFrom('lake_files').select(['path', 'rows', 'deletes_of'])
            .where('table_id', '=', tableId).where('partition', 'in', ch.replacePartitions).where('removed_in', 'is', null).execute();
          if (live.length) {
            removedRows += live.reduce((a, f) => a + (f.deletes_of === null ? Number(f.rows) : -Number(f.rows)), 0);
            removedFiles += live.filter((f) => f.deletes_of === null).length;
            await trx.updateTable('lake_files').set({ removed_in: snapshot })
              .where('table_id', '=', tableId).where('path', 'in', live.map((f) => f.path)).execute();
          }
        }
        let deletedRows = 0;
        if (ch.addDeletes?.length) {
          const targets = [...new Set(ch.addDeletes.map((d) => d.of))];
          const live = await trx.selectFrom('lake_files').select('path')
            .where('table_id', '=', tableId).where('path', 'in', targets).where('removed_in', 'is', null).where('deletes_of', 'is', null).execute();
          if (live.length !== targets.length) {
            throw new Error(`commit to ${ch.table}: ${targets.length - live.length} of the files to delete rows from are not live (a concurrent commit?)`);
          }
          deletedRows = ch.addDeletes.reduce((a, d) => a + d.rows, 0);
          await trx.insertInto('lake_files').values(ch.addDeletes.map((d) => ({
            table_id: tableId, path: d.path, partition: d.partition, rows: d.rows, bytes: d.bytes, added_in: snapshot, removed_in: null, deletes_of: d.of,
          }))).execute();
        }
        if (ch.add.length) {
          await trx.insertInto('lake_files').values(ch.add.map((f) => ({
            table_id: tableId, path: f.path, partition: f.partition, rows: f.rows, bytes: f.bytes, added_in: snapshot, removed_in: null, deletes_of: null,
          }))).execute();
        }
        const addedRows = ch.add.reduce((a, f) => a + f.rows, 0);
        await trx.insertInto('lake_snapshots').values({
          table_id: tableId, snapshot_id: snapshot, parent_id: parent || null, operation: ch.operation, committed_at: nowIso(),
          added_files: ch.add.length, removed_files: removedFiles, added_rows: addedRows,
          total_rows: prevTotal + addedRows - removedRows - deletedRows,
          summary: JSON.stringify({ ...(opts.segment ? { segment: opts.segment } : {}), ...opts.summary }),
        }).execute();
        await trx.updateTable('lake_tables').set({ current_snapshot: snapshot }).where('id', '=', tableId).execute();
        out.set(ch.table, snapshot);
      }
      return out;
    });
  }

  private async lockTable(trx: MetaStore['db'], zone: string, name: string) {
    let q = trx.selectFrom('lake_tables').select(['id', 'current_snapshot']).where('zone', '=', zone).where('name', '=', name);
    if (this.store.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** Which of these marks are committed already. */
  async committedOf(marks: string[]): Promise<Set<string>> {
    if (marks.length === 0) return new Set();
    const rows = await this.store.db.selectFrom('lake_committed_segments').select('segment').where('segment', 'in', marks).execute();
    return new Set(rows.map((r) => r.segment));
  }

  /** Lake-relative paths of every file any snapshot references (live or retired): what vacuum keeps. */
  async referencedPaths(): Promise<Set<string>> {
    const rows = await this.store.db.selectFrom('lake_files').select('path').execute();
    const out = new Set(rows.map((r) => r.path));
    // merges' change feeds, named in their snapshots' summaries (src/lake/merge.ts)
    const merges = await this.store.db.selectFrom('lake_snapshots').select('summary').where('operation', '=', 'merge').execute();
    for (const m of merges) {
      const path = changeFeedOf(JSON.parse(m.summary))?.path;
      if (path) out.add(path);
    }
    return out;
  }

  async isSegmentCommitted(segment: string): Promise<boolean> {
    return !!(await this.store.db.selectFrom('lake_committed_segments').select('segment').where('segment', '=', segment).executeTakeFirst());
  }

  async tables(): Promise<TableInfo[]> {
    const rows = await this.store.db.selectFrom('lake_tables as t')
      .leftJoin('lake_files as f', (j) => j.onRef('f.table_id', '=', 't.id').on('f.removed_in', 'is', null))
      .select((eb) => ['t.zone', 't.name', 't.current_snapshot',
        // data files count as files; delete files' positions come off the rows
        eb.fn.count<number>(eb.case().when('f.deletes_of', 'is', null).then(eb.ref('f.id')).end()).as('files'),
        eb.fn.coalesce(
          eb.fn.sum<number>(eb.case().when('f.deletes_of', 'is', null).then(eb.ref('f.rows')).else(eb.neg(eb.ref('f.rows'))).end()),
          eb.lit(0),
        ).as('rows'),
        eb.fn.coalesce(eb.fn.sum<number>('f.bytes'), eb.lit(0)).as('bytes')])
      .groupBy(['t.id', 't.zone', 't.name', 't.current_snapshot'])
      .orderBy('t.zone').orderBy('t.name').execute();
    return rows.map((r) => ({
      table: `${r.zone}.${r.name}`, zone: r.zone, name: r.name, snapshot: Number(r.current_snapshot),
      files: Number(r.files), rows: Number(r.rows), bytes: Number(r.bytes),
    }));
  }

  async tableExists(table: string): Promise<boolean> {
    const { zone, name } = splitTableName(table);
    return !!(await this.store.db.selectFrom('lake_tables').select('id').where('zone', '=', zone).where('name', '=', name).executeTakeFirst());
  }

  async currentSnapshot(table: string): Promise<number> {
    const { zone, name } = splitTableName(table);
    const r = await this.store.db.selectFrom('lake_tables').select('current_snapshot').where('zone', '=', zone).where('name', '=', name).executeTakeFirst();
    return r ? Number(r.current_snapshot) : 0;
  }

  /** The rows of a table at its current snapshot, as the catalog records them (no file is read). */
  async rowCount(table: string): Promise<number> {
    const { zone, name } = splitTableName(table);
    const r = await this.store.db.selectFrom('lake_tables as t')
      .innerJoin('lake_snapshots as s', (j) => j.onRef('s.table_id', '=', 't.id').onRef('s.snapshot_id', '=', 't.current_snapshot'))
      .select('s.total_rows').where('t.zone', '=', zone).where('t.name', '=', name).executeTakeFirst();
    return r ? Number(r.total_rows) : 0;
  }

  /**
   * A table's live data files at its current snapshot, counted in the metadata database (a raw
   * table holds hundreds: the runner asks for every input of every step); null for no such table.
   */
  async liveFileStats(table: string): Promise<{ files: number; rows: number; partitions: number } | null> {
    const { zone, name } = splitTableName(table);
    const t = await this.store.db.selectFrom('lake_tables').select('id').where('zone', '=', zone).where('name', '=', name).executeTakeFirst();
    if (!t) return null;
    const r = await this.store.db.selectFrom('lake_files')
      .select((eb) => [eb.fn.countAll<number>().as('files'), eb.fn.coalesce(eb.fn.sum<number>('rows'), eb.lit(0)).as('rows'),
        eb.fn.count<number>('partition').distinct().as('partitions')])
      .where('table_id', '=', t.id).where('removed_in', 'is', null).where('deletes_of', 'is', null).executeTakeFirstOrThrow();
    return { files: Number(r.files), rows: Number(r.rows), partitions: Number(r.partitions) };
  }

  /**
   * What commits after snapshot `from` wrote to a table, up to its current snapshot: files added
   * and removed and rows added (from the snapshots), and the partitions of the files they added
   * that are still live.
   */
  async writtenSince(table: string, from: number): Promise<{ snapshot: number; files: number; removed: number; rows: number; partitions: string[] }> {
    const { zone, name } = splitTableName(table);
    const t = await this.store.db.selectFrom('lake_tables').select(['id', 'current_snapshot']).where('zone', '=', zone).where('name', '=', name)
      .executeTakeFirst();
    if (!t) return { snapshot: 0, files: 0, removed: 0, rows: 0, partitions: [] };
    const snapshot = Number(t.current_snapshot);
    if (snapshot <= from) return { snapshot, files: 0, removed: 0, rows: 0, partitions: [] };
    const s = await this.store.db.selectFrom('lake_snapshots')
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('added_files'), eb.lit(0)).as('files'),
        eb.fn.coalesce(eb.fn.sum<number>('removed_files'), eb.lit(0)).as('removed'), eb.fn.coalesce(eb.fn.sum<number>('added_rows'), eb.lit(0)).as('rows')])
      .where('table_id', '=', t.id).where('snapshot_id', '>', from).executeTakeFirstOrThrow();
    const parts = await this.store.db.selectFrom('lake_files').select('partition').distinct()
      .where('table_id', '=', t.id).where('added_in', '>', from).where('removed_in', 'is', null).where('deletes_of', 'is', null).execute();
    return { snapshot, files: Number(s.files), removed: Number(s.removed), rows: Number(s.rows), partitions: parts.map((p) => p.partition) };
  }

  /**
   * Rows the commits after snapshot `from` added to a table, compactions aside (they move rows,
   * they add none): what an incremental reader of it has left to read.
   */
  async rowsAddedSince(table: string, from: number): Promise<number> {
    const r = await this.store.db.selectFrom('lake_snapshots')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('added_rows'), eb.lit(0)).as('rows'))
      .where('table_id', '=', await this.tableId(table)).where('snapshot_id', '>', from).where('operation', '<>', 'compact')
      .executeTakeFirstOrThrow();
    return Number(r.rows);
  }

  async snapshots(table: string): Promise<SnapshotInfo[]> {
    const id = await this.tableId(table);
    const rows = await this.store.db.selectFrom('lake_snapshots').selectAll().where('table_id', '=', id).orderBy('snapshot_id').execute();
    return rows.map((r) => ({
      snapshot: Number(r.snapshot_id), parent: r.parent_id == null ? null : Number(r.parent_id), operation: r.operation,
      committedAt: r.committed_at, addedFiles: Number(r.added_files), removedFiles: Number(r.removed_files),
      addedRows: Number(r.added_rows), totalRows: Number(r.total_rows), summary: JSON.parse(r.summary),
    }));
  }

  /**
   * What each commit in (from, to] added and retired, in commit order: what an incremental reader
   * needs to tell moved rows (compaction) from new ones.
   */
  async changes(table: string, from: number, to: number): Promise<{
    snapshot: number;
    operation: string;
    added: LakeFile[];
    removed: LakeFile[];
    changeFeed: { path: string; rows: number } | null;
  }[]> {
    const id = await this.tableId(table);
    const snaps = await this.store.db.selectFrom('lake_snapshots').select(['snapshot_id', 'operation', 'summary'])
      .where('table_id', '=', id).where('snapshot_id', '>', from).where('snapshot_id', '<=', to).orderBy('snapshot_id').execute();
    // data files only: a merge that deleted on read names what it removed in its change feed
    const rows = await this.store.db.selectFrom('lake_files').select(['path', 'partition', 'rows', 'bytes', 'added_in', 'removed_in'])
      .where('table_id', '=', id).where('deletes_of', 'is', null)
      .where((eb) => eb.or([eb.and([eb('added_in', '>', from), eb('added_in', '<=', to)]), eb.and([eb('removed_in', '>', from), eb('removed_in', '<=', to)])]))
      .orderBy('id').execute();
    return snaps.map((sn) => {
      const s = Number(sn.snapshot_id);
      const file = (r: (typeof rows)[number]) => ({ path: r.path, partition: r.partition, rows: Number(r.rows), bytes: Number(r.bytes) });
      return {
        snapshot: s, operation: sn.operation, added: rows.filter((r) => Number(r.added_in) === s).map(file),
        removed: rows.filter((r) => r.removed_in !== null && Number(r.removed_in) === s).map(file),
        changeFeed: sn.operation === 'merge' ? changeFeedOf(JSON.parse(sn.summary)) : null,
      };
    });
  }

  /**
   * The data files of a table as of a snapshot (default: the current one). Their `rows` are the
   * rows each file holds; some may be deleted on read (deleteFiles).
   */
  async files(table: string, snapshot?: number): Promise<LakeFile[]> {
    return (await this.liveFiles(table, snapshot)).filter((f): f is LakeFile & { of: null } => f.of === null)
      .map(({ path, partition, rows, bytes }) => ({ path, partition, rows, bytes }));
  }

  /** The delete files of a table as of a snapshot (default: the current one): positions its readers skip. */
  async deleteFiles(table: string, snapshot?: number): Promise<DeleteFile[]> {
    return (await this.liveFiles(table, snapshot)).filter((f): f is DeleteFile => f.of !== null);
  }

  /** A table's data files and delete files at a snapshot, in one read (a consistent pair). */
  async filesWithDeletes(table: string, snapshot?: number): Promise<{ files: LakeFile[]; deletes: DeleteFile[] }> {
    const all = await this.liveFiles(table, snapshot);
    return {
      files: all.filter((f) => f.of === null).map(({ path, partition, rows, bytes }) => ({ path, partition, rows, bytes })),
      deletes: all.filter((f): f is DeleteFile => f.of !== null),
    };
  }

  private async liveFiles(table: string, snapshot?: number): Promise<(LakeFile & { of: string | null })[]> {
    const id = await this.tableId(table);
    let s = snapshot;
    if (s === undefined) s = await this.currentSnapshot(table);
    const key = `${id}:${s}`;
    const known = this.snapshotFiles.get(key);
    if (known) {
      // most recently used last
      this.snapshotFiles.delete(key);
      this.snapshotFiles.set(key, known);
      return known as (LakeFile & { of: string | null })[];
    }
    if (snapshot !== undefined) {
      const exists = await this.store.db.selectFrom('lake_snapshots').select('snapshot_id').where('table_id', '=', id)
        .where('snapshot_id', '=', s).executeTakeFirst();
      if (!exists) throw new UnknownTableError(`table ${table} has no snapshot ${s}`);
    }
    const rows = await this.store.db.selectFrom('lake_files').select(['path', 'partition', 'rows', 'bytes', 'deletes_of'])
      .where('table_id', '=', id).where('added_in', '<=', s)
      .where((eb) => eb.or([eb('removed_in', 'is', null), eb('removed_in', '>', s!)]))
      .orderBy('id').execute();
    const files = Object.freeze(rows.map((r) => Object.freeze({
      path: r.path, partition: r.partition, rows: Number(r.rows), bytes: Number(r.bytes), of: r.deletes_of ?? null,
    }))) as (LakeFile & { of: string | null })[];
    // a snapshot with no commit yet (0, or a table that does not exist yet) is not kept: it is not final
    if (s > 0) {
      if (this.snapshotFiles.size >= SNAPSHOT_FILES_CACHE) this.snapshotFiles.delete(this.snapshotFiles.keys().next().value!);
      this.snapshotFiles.set(key, files);
    }
    return files;
  }

  private async tableId(table: string): Promise<number> {
    const known = this.tableIds.get(table);
    if (known !== undefined) return known;
    const { zone, name } = splitTableName(table);
    const r = await this.store.db.selectFrom('lake_tables').select('id').where('zone', '=', zone).where('name', '=', name).executeTakeFirst();
    if (!r) throw new UnknownTableError(`unknown lake table ${table}`);
    this.tableIds.set(table, r.id);
    return r.id;
  }
}

/** The change feed a merge snapshot's summary names (merges before change feeds name none). */
function changeFeedOf(summary: Record<string, unknown>): { path: string; rows: number } | null {
  const c = summary.changes as { path?: unknown; rows?: unknown } | undefined;
  return c && typeof c.path === 'string' ? { path: c.path, rows: Number(c.rows ?? 0) } : null;
}
