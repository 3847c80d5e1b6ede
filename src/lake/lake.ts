// The embedded lake: write-ahead segments → Parquet files (Hive partitioned by table and date)
// → atomic catalog commits. Appends are acknowledged once durable in a segment; a background
// flusher turns sealed segments into Parquet; opening the lake replays whatever a crashed
// process left behind. Replays are exactly-once because a segment's commit is recorded in the
// same transaction as its files.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { MetaStore } from '../metadata/db.ts';
import { Catalog, SegmentAlreadyCommitted, splitTableName, type LakeFile, type TableChange } from './catalog.ts';
import { openDuck, sqlIdent, sqlString } from './duck.ts';
import { scanSql, type ScanOptions } from './deletes.ts';
import { writeJsonLinesAsParquet, type ColumnTypes } from './parquet.ts';
import {
  WriteAheadLog, describeStorageError, encodeRecords, isStorageError, listSegments, orphanedWriterDirs, readSegment,
  removeWriterDirIfEmpty, repairSegment, type StorageFault, type WalOptions, type WalRecord,
} from './wal.ts';
import { errorLine } from '../util/redact.ts';
import { isWellFormed, toWellFormed } from '../util/unicode.ts';

/** Records the flusher could not turn into Parquet, kept with the reason (never blocking their segment). */
export const FLUSH_QUARANTINE_TABLE = 'quarantine.flush';
export const flushQuarantineColumns: ColumnTypes = {
  quarantined_at: 'TIMESTAMPTZ',
  segment: 'VARCHAR',
  target_table: 'VARCHAR',
  dt: 'VARCHAR',
  reason: 'VARCHAR',
  payload: 'VARCHAR',
};

interface Unconverted { table: string; dt: string; reason: string; payload: string }

/** Whether the lake can take and store events now; the reason when it cannot. */
export interface LakeHealth {
  ready: boolean;
  /** errno-style code of the fault (ENOSPC, EACCES...) */
  code?: string;
  reason?: string;
}

/** How `Lake.writeQuery` writes and commits a query's result (see its comment). */
export interface WriteQueryOptions {
  mode: 'append' | 'replace' | 'replace-partitions';
  partitionBy?: string;
  partitions?: string[];
  summary?: Record<string, unknown>;
  noNulls?: string[];
  rowGroupRows?: number;
}

export interface LakeOptions extends WalOptions {
  home: string;
  store: MetaStore;
  /** declared column types per table ("zone.name"); others are inferred */
  schemas?: Record<string, ColumnTypes>;
  /** flush sealed segments in the background (default true) */
  autoFlush?: boolean;
  /**
   * Scale-out mode: appends go to this sink (a replicated JetStream stream, see bus-ingest.ts)
   * instead of a local write-ahead log, and lake writers turn them into Parquet. No write-ahead
   * directory is opened or replayed, so no process guards one by its local PID.
   */
  sink?: RecordSink;
  log?: (msg: string) => void;
}

/** Where appended records are made durable when it is not the local write-ahead log. */
export interface RecordSink {
  /** resolves once the records are durable */
  append(records: WalRecord[]): Promise<void>;
}

export interface FlushResult {
  segments: number;
  records: number;
  files: number;
}

export class Lake {
  readonly root: string;
  readonly catalog: Catalog;
  /** absent in scale-out mode (opts.sink) */
  readonly wal: WriteAheadLog | undefined;
  private flushing: Promise<unknown> = Promise.resolve();
  private fileSeq = 0;
  /** what the flusher has committed since the last flush() call */
  private flushed: FlushResult = { segments: 0, records: 0, files: 0 };
  /** why the last background flush failed on storage; cleared by the next one that succeeds */
  private flushFault: StorageFault | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 200;
  private closing = false;

  private constructor(
    readonly opts: LakeOptions,
    private readonly duck: { instance: DuckDBInstance; conn: DuckDBConnection },
  ) {
    this.root = join(opts.home, 'lake');
    mkdirSync(this.root, { recursive: true });
    opts.schemas = { [FLUSH_QUARANTINE_TABLE]: flushQuarantineColumns, ...opts.schemas };
    this.catalog = new Catalog(opts.store);
    this.wal = opts.sink ? undefined : new WriteAheadLog(join(opts.home, 'wal'), opts);
    if (this.wal && opts.autoFlush !== false) this.wal.onSealed = (path) => { void this.enqueue(() => this.flushSegment(path)); };
  }

  static async open(opts: LakeOptions): Promise<Lake> {
    const lake = new Lake({ ...opts }, await openDuck({ threads: 2 }));
    // a replay that fails on storage (disk full) does not stop start-up: the lake opens not
    // ready, and the flusher retries until the fault clears
    await lake.enqueue(() => lake.replay()).catch(() => {});
    return lake;
  }

  /** Ready unless events cannot be made durable (write-ahead log) or flushes fail on storage. */
  health(): LakeHealth {
    const wal = this.wal?.fault;
    if (wal) return { ready: false, code: wal.code, reason: `events cannot be made durable: ${wal.reason} (${wal.code})` };
    const f = this.flushFault;
    if (f) return { ready: false, code: f.code, reason: `the lake cannot store flushed events: ${f.reason} (${f.code}); retrying` };
    return { ready: true };
  }

  /** Durably appends records (resolves after fdatasync). */
  append(records: WalRecord[]): Promise<void> {
    return this.opts.sink ? this.opts.sink.append(records) : this.wal!.append(records);
  }

  /** Seals the current segment and flushes everything pending into Parquet + catalog. */
  async flush(): Promise<FlushResult> {
    const wal = this.wal;
    if (!wal) return { segments: 0, records: 0, files: 0 }; // lake writers flush the sink's stream
    await wal.rotate();
    await this.enqueue(async () => {
      for (const seg of wal.pendingSegments()) await this.flushSegment(seg);
    });
    const done = this.flushed;
    this.flushed = { segments: 0, records: 0, files: 0 };
    return done;
  }

  /** Replays segments left by processes that are gone (crash or kill). */
  private async replay(): Promise<FlushResult> {
    const total: FlushResult = { segments: 0, records: 0, files: 0 };
    if (!this.wal) return total;
    for (const dir of orphanedWriterDirs(join(this.opts.home, 'wal'), this.wal.dir)) {
      for (const seg of listSegments(dir)) add(total, await this.flushSegment(seg));
      removeWriterDirIfEmpty(dir);
    }
    if (total.segments) this.opts.log?.(`lake: replayed ${total.records} records from ${total.segments} uncommitted segments`);
    return total;
  }

  /**
   * Runs flush work one piece at a time. A failure is logged and retried in the background
   * (200 ms doubling to 30 s) until it succeeds; a storage failure makes the lake not ready.
   */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.flushing.then(fn, fn);
    this.flushing = next.then(() => {
      if (this.flushFault) this.opts.log?.(`lake: flushing works again after ${this.flushFault.code}`);
      this.flushFault = null;
      this.retryDelay = 200;
    }, (e) => {
      this.opts.log?.(`lake: flush failed: ${errorLine(e)}; retrying in ${this.retryDelay} ms`);
      if (isStorageError(e)) this.flushFault = describeStorageError(e);
      this.scheduleRetry();
    });
    return next;
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.enqueue(async () => {
        await this.replay();
        for (const seg of this.wal?.pendingSegments() ?? []) await this.flushSegment(seg);
      }).catch(() => {});
    }, this.retryDelay);
    this.retryDelay = Math.min(30_000, this.retryDelay * 2);
    this.retryTimer.unref();
  }

  private async flushSegment(path: string): Promise<FlushResult> {
    if (!existsSync(path)) return { segments: 0, records: 0, files: 0 };
    const segment = `${basename(join(path, '..'))}/${basename(path)}`;
    if (await this.catalog.isSegmentCommitted(segment)) {
      rmSync(path, { force: true });
      return { segments: 0, records: 0, files: 0 };
    }
    // checksums verified, a torn tail cut, damage and the legacy format rewritten away: what
    // DuckDB reads next is whole, framed records
    const repaired = repairSegment(path);
    const quarantined: Unconverted[] = repaired.damaged.map((d) => ({
      table: '',
      dt: '',
      reason: `damaged write-ahead record at byte ${d.offset}: ${d.reason}`,
      payload: d.text,
    }));
    const tag = `${basename(path, '.wal')}-${basename(join(path, '..'))}`;
    const { changes, records } = repaired.count > 0
      ? await this.convertFramed(path, tag, segment, () => readSegment(path), quarantined)
      : { changes: [], records: 0 };
    if (quarantined.length) changes.push(await this.quarantineChange(quarantined, segment, tag));
    try {
      if (changes.length) await this.catalog.commit(changes, { segment });
    } catch (e) {
      if (!(e instanceof SegmentAlreadyCommitted)) throw e;
    }
    rmSync(path, { force: true });
    const result = { segments: 1, records, files: changes.reduce((a, c) => a + c.add.length, 0) };
    add(this.flushed, result);
    return result;
  }

  /**
   * Turns a file of whole, verified framed records into Parquet files per table (not committed).
   * DuckDB reads, groups and converts the file in its own threads: the event loop (which is
   * acknowledging new batches meanwhile) only waits. A table DuckDB refuses as a whole is
   * converted record by record from `all()`; what still fails is added to `quarantined`.
   */
  private async convertFramed(
    path: string,
    tag: string,
    label: string,
    all: () => WalRecord[],
    quarantined: Unconverted[],
  ): Promise<{ changes: TableChange[]; records: number }> {
    const changes: TableChange[] = [];
    let records = 0;
    let decoded: WalRecord[] | undefined;
    const recordsOf = (table: string) => (decoded ??= all()).filter((r) => r.table === table);
    const seg = `seg_${this.fileSeq++}`;
    const conn = this.duck.conn;
    let tables: { t: string; n: number }[];
    let read = true;
    try {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${seg} AS SELECT t, dt, j FROM read_csv(${sqlString(path)}, delim = ` +
        `'\t', quote = '', escape = '', header = false, auto_detect = false, max_line_size = 67108864, columns = {'h': ` +
        `'VARCHAR', 't': 'VARCHAR', 'dt': 'VARCHAR', 'j': 'VARCHAR'})`);
      const counts = (await conn.runAndReadAll(`SELECT t, count(*)::BIGINT AS n FROM ${seg} GROUP BY t ORDER BY t`))
        .getRowObjectsJS() as { t: string; n: bigint }[];
      tables = counts.map((r) => ({ t: r.t, n: Number(r.n) }));
    } catch (e) {
      if (isStorageError(e)) throw e;
      // a file DuckDB cannot even split: every table goes record by record
      read = false;
      const counts = new Map<string, number>();
      for (const r of (decoded ??= all())) counts.set(r.table, (counts.get(r.table) ?? 0) + 1);
      tables = [...counts].sort().map(([t, n]) => ({ t, n }));
    }
    try {
      for (const { t: table, n } of tables) {
        records += n;
        let add: LakeFile[] | undefined;
        if (read) {
          try {
            add = await this.convertTable(seg, table, tag);
          } catch (e) {
            if (isStorageError(e)) throw e;
            this.opts.log?.(`lake: ${table} in ${label} does not convert as a whole (${oneLine(e)}): converting record by record`);
          }
        }
        if (!add) add = await this.convertRecords(table, recordsOf(table), tag, quarantined);
        changes.push({ table, add, operation: 'append' });
      }
    } finally {
      if (read) await conn.run(`DROP TABLE IF EXISTS ${seg}`);
    }
    return { changes, records };
  }

  /** The records that could not be converted, as a file of the flush quarantine (not committed). */
  private async quarantineChange(quarantined: Unconverted[], label: string, tag: string): Promise<TableChange> {
    const at = new Date().toISOString();
    const lines = quarantined.map((q) => JSON.stringify({
      quarantined_at: at, segment: label, target_table: q.table || null, dt: q.dt || null,
      reason: toWellFormed(q.reason), payload: toWellFormed(q.payload),
    }));
    this.opts.log?.(`lake: ${quarantined.length} records of ${label} could not be converted: kept in ${FLUSH_QUARANTINE_TABLE} with the reason`);
    return { table: FLUSH_QUARANTINE_TABLE, add: [await this.writeFile(FLUSH_QUARANTINE_TABLE, at.slice(0, 10), lines, `${tag}-q`)], operation: 'append' };
  }

  /**
   * Writes records that are already durable elsewhere (a JetStream work queue) as Parquet files
   * and commits them together with `marks` (ids of what they came from, e.g. stream sequence
   * numbers): a second commit of any mark is refused with SegmentAlreadyCommitted and its files
   * are removed, which is what makes redelivery to another writer exactly-once. Records that
   * cannot be converted go to the flush quarantine in the same commit, as with segments.
   */
  async writeBatch(records: WalRecord[], marks: string[], tag: string): Promise<FlushResult> {
    const staged = join(this.opts.home, 'staging', `batch-${process.pid}-${this.fileSeq++}.tsv`);
    mkdirSync(dirname(staged), { recursive: true });
    writeFileSync(staged, encodeRecords(records));
    try {
      return await this.enqueue(async () => {
        const label = `batch ${marks[0] ?? ''}${marks.length > 1 ? `..${marks.at(-1)}` : ''}`;
        const quarantined: Unconverted[] = [];
        const { changes } = await this.convertFramed(staged, tag, label, () => records, quarantined);
        if (quarantined.length) changes.push(await this.quarantineChange(quarantined, label, tag));
        try {
          await this.catalog.commit(changes, { segments: marks });
        } catch (e) {
          for (const c of changes) for (const f of c.add) rmSync(join(this.root, f.path), { force: true });
          throw e;
        }
        return { segments: marks.length, records: records.length, files: changes.reduce((a, c) => a + c.add.length, 0) };
      });
    } finally {
      rmSync(staged, { force: true });
    }
  }

  /** One table's records of a segment as Parquet files, converted by DuckDB in one pass. */
  private async convertTable(seg: string, table: string, tag: string): Promise<LakeFile[]> {
    const conn = this.duck.conn;
    const columns = this.opts.schemas?.[table];
    if (columns) {
      const rows = `SELECT unnest(json_transform(j, ${sqlString(JSON.stringify(columns))})), dt FROM ${seg} WHERE t = ${sqlString(table)}`;
      return (await this.stageQuery(conn, table, rows, { partitioned: true, tag }))!;
    }
    // undeclared table: let DuckDB infer its columns from the JSON itself
    const add: LakeFile[] = [];
    const dts = (await conn.runAndReadAll(`SELECT DISTINCT dt FROM ${seg} WHERE t = ${sqlString(table)} ORDER BY dt`)).getRowObjectsJS() as { dt: string }[];
    for (const { dt } of dts) {
      const lines = (await conn.runAndReadAll(`SELECT j FROM ${seg} WHERE t = ${sqlString(table)} AND dt = ${sqlString(dt)}`))
        .getRowObjectsJS().map((r) => String(r.j));
      add.push(await this.writeFile(table, dt, lines, `${tag}-${add.length}`));
    }
    return add;
  }

  /**
   * The slow path, for a table whose records DuckDB refused as a whole: records that are not
   * well-formed JSON go to quarantine at once, the rest are converted in halves until each
   * record that still fails is alone, and goes to quarantine with DuckDB's reason. A poison
   * record costs O(log n) conversions and never blocks its neighbours.
   */
  private async convertRecords(table: string, recs: WalRecord[], tag: string, quarantined: Unconverted[]): Promise<LakeFile[]> {
    const byDt = new Map<string, string[]>();
    for (const r of recs) {
      const problem = jsonProblem(r.json) ?? (/^\d{4}-\d{2}-\d{2}$/.test(r.dt) ? null : `invalid partition date ${JSON.stringify(r.dt)}`);
      if (problem) { quarantined.push({ table, dt: r.dt, reason: problem, payload: r.json }); continue; }
      let g = byDt.get(r.dt);
      if (!g) byDt.set(r.dt, (g = []));
      g.push(r.json);
    }
    const add: LakeFile[] = [];
    const convert = async (dt: string, lines: string[], part: string): Promise<void> => {
      try {
        add.push(await this.writeFile(table, dt, lines, `${tag}-r${part}`));
      } catch (e) {
        if (isStorageError(e)) throw e;
        if (lines.length === 1) { quarantined.push({ table, dt, reason: oneLine(e), payload: lines[0]! }); return; }
        const half = lines.length >> 1;
        await convert(dt, lines.slice(0, half), `${part}a`);
        await convert(dt, lines.slice(half), `${part}b`);
      }
    };
    let k = 0;
    for (const [dt, lines] of [...byDt].sort()) await convert(dt, lines, String(k++));
    return add;
  }

  /** Writes one Parquet file into zone/name/dt=.../ and returns its catalog entry (not committed). */
  async writeFile(table: string, dt: string, lines: string[], tag: string): Promise<LakeFile> {
    const { zone, name } = splitTableName(table);
    const partition = `dt=${dt}`;
    // deterministic for a segment, so a replay after a crash between write and commit overwrites
    // the orphan instead of leaving a second copy
    const rel = join(zone, name, partition, `part-${tag}.parquet`);
    const tmp = join(this.opts.home, 'staging', `${process.pid}-${this.fileSeq++}.ndjson`);
    const { rows, bytes } = await writeJsonLinesAsParquet(this.duck.conn, lines, join(this.root, rel), tmp, this.opts.schemas?.[table]);
    return { path: rel, partition, rows, bytes };
  }

  /**
   * Writes the result of a query as new Parquet files of a table and commits them: 'append' adds
   * a snapshot with the files, 'replace' retires every live file in the same commit (a
   * materialised model). With `partitionBy` (a SQL expression giving YYYY-MM-DD) the files are
   * split into dt= partitions; otherwise they go to one `dt=all` partition. With `noNulls`, the
   * write is conditional: if any of those columns holds a NULL (by the files' own statistics),
   * nothing is committed, the files are deleted and the result is null.
   * 'replace-partitions' (with `partitionBy`) retires, in the same commit, the live files of the
   * dt= partitions written and of those listed in `partitions` (a partition rebuilt empty).
   */
  async writeQuery(
    conn: DuckDBConnection,
    table: string,
    query: string,
    opts: WriteQueryOptions & { noNulls?: undefined },
  ): Promise<{ snapshot: number; rows: number; files: number }>;
  async writeQuery(
    conn: DuckDBConnection,
    table: string,
    query: string,
    opts: WriteQueryOptions,
  ): Promise<{ snapshot: number; rows: number; files: number } | null>;
  async writeQuery(
    conn: DuckDBConnection,
    table: string,
    query: string,
    opts: WriteQueryOptions,
  ): Promise<{ snapshot: number; rows: number; files: number } | null> {
    const tag = `${Date.now().toString(36)}-${process.pid}-${this.fileSeq++}`;
    const added = opts.partitionBy
      ? await this.stageQuery(conn, table, `SELECT *, ${opts.partitionBy} AS dt FROM (${query})`, {
        partitioned: true,
        tag,
        noNulls: opts.noNulls,
        rowGroupRows: opts.rowGroupRows,
      })
      : await this.stageQuery(conn, table, query, { partitioned: false, tag, noNulls: opts.noNulls, rowGroupRows: opts.rowGroupRows });
    if (!added) return null;
    if (opts.mode === 'replace-partitions') {
      if (!opts.partitionBy) throw new Error(`writeQuery ${table}: 'replace-partitions' needs partitionBy`);
      const parts = [...new Set([...added.map((f) => f.partition), ...(opts.partitions ?? []).map((d) => `dt=${d}`)])];
      const snaps = await this.catalog.commit([{ table, add: added, replacePartitions: parts, operation: 'replace' }], { summary: opts.summary });
      return { snapshot: snaps.get(table)!, rows: added.reduce((a, f) => a + f.rows, 0), files: added.length };
    }
    const remove = opts.mode === 'replace' ? (await this.catalog.tableExists(table) ? (await this.catalog.files(table)).map((f) => f.path) : []) : [];
    const snaps = await this.catalog.commit([{ table, add: added, remove, operation: opts.mode }], { summary: opts.summary });
    return { snapshot: snaps.get(table)!, rows: added.reduce((a, f) => a + f.rows, 0), files: added.length };
  }

  /**
   * Writes a query's result as Parquet files in the table's folder (not yet committed). With
   * `partitioned`, the query has a `dt` column that becomes the dt= partition folders.
   * File names carry `tag`: deterministic tags make a repeated write overwrite, not duplicate.
   * null when a `noNulls` column has a NULL (the files are not kept).
   */
  private async stageQuery(
    conn: DuckDBConnection,
    table: string,
    query: string,
    opts: { partitioned: boolean; tag: string; noNulls?: string[]; rowGroupRows?: number },
  ): Promise<LakeFile[] | null> {
    const { zone, name } = splitTableName(table);
    const stage = join(this.opts.home, 'staging', `q-${opts.tag}-${this.fileSeq++}`);
    mkdirSync(stage, { recursive: true });
    const added: LakeFile[] = [];
    try {
      // RETURN_STATS: DuckDB reports each file it wrote with its row count, size and column
      // statistics, so no file is opened again to count it
      const target = opts.partitioned ? sqlString(stage) : sqlString(join(stage, 'dt=all', `part-${opts.tag}.parquet`));
      if (!opts.partitioned) mkdirSync(join(stage, 'dt=all'), { recursive: true });
      const partitionBy = opts.partitioned ? `PARTITION_BY (dt), FILENAME_PATTERN 'part-${opts.tag}-{i}', ` : '';
      const rowGroup = opts.rowGroupRows ? `ROW_GROUP_SIZE ${Math.max(2048, Math.round(opts.rowGroupRows))}, ` : '';
      const written = (await conn.runAndReadAll(
        `COPY (${query}) TO ${target} (FORMAT PARQUET, COMPRESSION ZSTD, ${partitionBy}${rowGroup}RETURN_STATS true)`))
        .getRowObjectsJS() as {
        filename: string;
        count: bigint | number;
        file_size_bytes: bigint | number;
        column_statistics: { key: string; value: { key: string; value: string }[] }[];
      }[];
      if (opts.noNulls?.length) {
        for (const f of written) {
          const nulls = new Map(f.column_statistics.map((c) => [c.key, c.value.find((x) => x.key === 'null_count')?.value]));
          // a column without a null count is treated as having NULLs: the caller checks the rows itself
          if (opts.noNulls.some((col) => Number(nulls.get(sqlIdent(col)) ?? nulls.get(col) ?? NaN) !== 0)) return null;
        }
      }
      // in the order of the partition folders' names (DuckDB reports files as its threads finish)
      written.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
      for (const f of written) {
        const part = basename(dirname(f.filename));
        const rel = join(zone, name, part, basename(f.filename));
        const abs = join(this.root, rel);
        mkdirSync(dirname(abs), { recursive: true });
        renameSync(f.filename, abs);
        added.push({ path: rel, partition: part, rows: Number(f.count), bytes: Number(f.file_size_bytes) });
      }
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
    return added;
  }

  /**
   * Writes a query's rows as Parquet files of a table, not yet committed (the caller commits them
   * with what else changes in the same snapshot, e.g. a merge's retired files).
   */
  async writeFiles(conn: DuckDBConnection, table: string, query: string, opts: { rowGroupRows?: number } = {}): Promise<LakeFile[]> {
    const tag = `${Date.now().toString(36)}-${process.pid}-${this.fileSeq++}`;
    return (await this.stageQuery(conn, table, query, { partitioned: false, tag, rowGroupRows: opts.rowGroupRows }))!;
  }

  /** Absolute paths of a table's files at a snapshot (default: current). */
  async filePaths(table: string, snapshot?: number): Promise<string[]> {
    return (await this.catalog.files(table, snapshot)).map((f) => join(this.root, f.path));
  }

  /**
   * SQL reading a table at a snapshot (default: current) with its deletes applied
   * (src/lake/deletes.ts); null when it has no files. Every reader of a table's files goes through
   * here, so rows a merge deleted on read are never seen.
   */
  async readSql(table: string, snapshot?: number, opts: ScanOptions = {}): Promise<string | null> {
    const { files, deletes } = await this.catalog.filesWithDeletes(table, snapshot);
    return files.length ? scanSql(this.root, files, deletes, opts) : null;
  }

  /**
   * SQL reading only the rows a table gained after `snapshot`: its current files that snapshot did
   * not have, with their deletes applied (a merge since may have deleted some of them on read);
   * null when no file was added.
   */
  async readAddedSql(table: string, snapshot: number, opts: ScanOptions = {}): Promise<string | null> {
    const before = new Set((await this.catalog.files(table, snapshot)).map((f) => f.path));
    const { files, deletes } = await this.catalog.filesWithDeletes(table);
    const added = files.filter((f) => !before.has(f.path));
    return added.length ? scanSql(this.root, added, deletes, opts) : null;
  }

  /** Lake-relative path of an absolute path inside the lake. */
  relative(abs: string): string {
    return relative(this.root, abs);
  }

  get conn(): DuckDBConnection {
    return this.duck.conn;
  }

  /** The process's DuckDB instance, for the warehouse to open its own connections on. */
  get duckdb(): DuckDBInstance {
    return this.duck.instance;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const wal = this.wal;
    if (wal) {
      await wal.close();
      await this.enqueue(async () => {
        for (const seg of wal.pendingSegments()) await this.flushSegment(seg);
      }).catch(() => { /* logged; the segments stay for the next start to replay */ });
      removeWriterDirIfEmpty(wal.dir);
    }
    await this.flushing;
    this.duck.conn.closeSync();
  }
}

/** Why a record's JSON cannot be stored as it is, or null: not JSON, or a string with a lone surrogate. */
function jsonProblem(json: string): string | null {
  let value: unknown;
  try { value = JSON.parse(json); } catch (e) { return `not valid JSON: ${errorLine(e)}`; }
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') { if (!isWellFormed(v)) return 'a string holds a lone surrogate (ill-formed Unicode)'; }
    else if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) { if (!isWellFormed(k)) return 'a key holds a lone surrogate (ill-formed Unicode)'; stack.push(x); }
    }
  }
  return null;
}

const oneLine = errorLine;

function add(a: FlushResult, b: FlushResult): void {
  a.segments += b.segments; a.records += b.records; a.files += b.files;
}
