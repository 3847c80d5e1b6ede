// Write-ahead segments: the durability point of the embedded lake. A record is acknowledged only
// after it is appended and fdatasync'd to the current segment. Concurrent appends are grouped
// into one write + one sync (group commit), so throughput grows with concurrency instead of
// paying one disk flush per request.
//
// Record format (one line per record, as PostgreSQL's and Kafka's logs frame theirs):
//   `LLLLLLLL:CCCCCCCC \t zone.table \t dt \t json \n`
// where L is the byte length and C the CRC-32 of `zone.table \t dt \t json`, both in hex. The
// json is one line (JSON.stringify output has no raw tab, CR or newline), so DuckDB can still
// read a verified segment directly as a tab-separated file. A write torn by a crash or a full
// disk leaves a frame whose length or checksum does not match: recovery cuts the segment at the
// last whole record, and the writer never appends after a failed write (it truncates back, or
// abandons the segment), so a torn record is never glued to the next one.
//
// Each process writes in its own directory (wal/w-<pid>-<start>/) holding an owner file; at
// start-up, directories of dead owners are handed to the flusher for replay.
import {
  closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync,
  statSync, writeFileSync, writeSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export interface WalRecord {
  table: string;
  /** partition date YYYY-MM-DD */
  dt: string;
  /** the record, already serialised as one line of JSON (no newline) */
  json: string;
}

export interface WalOptions {
  /** rotate the segment past this size (bytes) */
  maxSegmentBytes?: number;
  /** rotate a non-empty segment after this age (ms) so data reaches the lake promptly */
  maxSegmentAgeMs?: number;
}

/** Why appends fail right now (disk full, permissions...), or null when they succeed. */
export interface StorageFault {
  /** errno-style code: ENOSPC, EACCES, EROFS, EIO... */
  code: string;
  /** what it means, without any file path */
  reason: string;
  since: string;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** Frames records (length and CRC-32 per record); throws on a record that cannot be one line. */
export function encodeRecords(records: WalRecord[]): string {
  let s = '';
  for (const r of records) {
    if (r.json.includes('\n') || r.json.includes('\r') || r.table.includes('\t') || r.dt.includes('\t')) {
      throw new TypeError(`write-ahead record for ${r.table} is not one line of JSON`);
    }
    const payload = `${r.table}\t${r.dt}\t${r.json}`;
    s += `${hex8(Buffer.byteLength(payload))}:${hex8(crc32(payload))}\t${payload}\n`;
  }
  return s;
}

/** A stretch of a segment that is not a whole, valid record. */
export interface DamagedRecord {
  /** byte offset in the segment */
  offset: number;
  /** the bytes as text (for quarantine), at most 64 KB */
  text: string;
  reason: string;
}

export interface DecodedSegment {
  /** the whole, valid records (empty when decoding only verified them) */
  records: WalRecord[];
  /** how many whole, valid records there are */
  count: number;
  /** frames in the middle whose checksum or length is wrong (corruption, not a torn tail) */
  damaged: DamagedRecord[];
  /** byte length of the whole records at the start: where a torn tail is cut */
  validBytes: number;
  /** written in the unframed format of earlier versions */
  legacy: boolean;
}

const FRAME_HEAD = /^[0-9a-f]{8}:[0-9a-f]{8}$/;

/** Whether a segment's first line is a framed record (else it is the legacy unframed format). */
function isFramed(buf: Buffer): boolean {
  return buf.length >= 18 && FRAME_HEAD.test(buf.subarray(0, 17).toString('latin1')) && buf[17] === 0x09;
}

/**
 * Parses and verifies a segment. Framed: every record's length and checksum are checked; the
 * first bad frame that runs to the end of the file is a torn tail (never acknowledged) and ends
 * the valid part; a bad frame followed by good ones is damage, reported and skipped. Legacy
 * (unframed) segments are read line by line, a torn last line dropped.
 */
export function decodeSegment(buf: Buffer, keep = true): DecodedSegment {
  const out: DecodedSegment = { records: [], count: 0, damaged: [], validBytes: 0, legacy: false };
  if (buf.length === 0) return out;
  if (!isFramed(buf)) {
    out.legacy = true;
    const text = buf.toString('utf8');
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break; // torn tail
      const t1 = text.indexOf('\t', start);
      const t2 = t1 < 0 ? -1 : text.indexOf('\t', t1 + 1);
      if (t1 > start && t2 > t1 && t2 < nl) out.records.push({ table: text.slice(start, t1), dt: text.slice(t1 + 1, t2), json: text.slice(t2 + 1, nl) });
      start = nl + 1;
    }
    out.count = out.records.length;
    out.validBytes = Buffer.byteLength(text.slice(0, start));
    return out;
  }
  let pos = 0;
  let pendingDamage: DamagedRecord | undefined;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl < 0 ? buf.length : nl;
    const rec = verifyFrame(buf, pos, end, keep);
    if (typeof rec === 'string' || nl < 0) {
      // keep scanning: only a bad stretch followed by a good frame is damage; at the end it is a torn tail
      if (!pendingDamage) pendingDamage = { offset: pos, text: '', reason: nl < 0 ? 'incomplete record' : (rec as string) };
      pos = nl < 0 ? buf.length : nl + 1;
      continue;
    }
    if (pendingDamage) {
      pendingDamage.text = buf.subarray(pendingDamage.offset, Math.min(pos, pendingDamage.offset + 65536)).toString('utf8');
      out.damaged.push(pendingDamage);
      pendingDamage = undefined;
    }
    if (rec) out.records.push(rec);
    out.count++;
    pos = nl + 1;
    out.validBytes = pos;
  }
  return out;
}

/** The record (null when not kept), or why the bytes are not a whole record. */
function verifyFrame(buf: Buffer, start: number, end: number, keep: boolean): WalRecord | null | string {
  if (end - start < 18 || buf[start + 17] !== 0x09) return 'not a framed record';
  const head = buf.subarray(start, start + 17).toString('latin1');
  if (!FRAME_HEAD.test(head)) return 'not a framed record';
  const len = parseInt(head.slice(0, 8), 16);
  const sum = parseInt(head.slice(9), 16);
  const payload = buf.subarray(start + 18, end);
  if (payload.length !== len) return `record length ${payload.length} bytes, framed as ${len}`;
  if ((crc32(payload) >>> 0) !== sum) return 'record checksum mismatch';
  if (!keep) return null;
  const text = payload.toString('utf8');
  const t1 = text.indexOf('\t');
  const t2 = t1 < 0 ? -1 : text.indexOf('\t', t1 + 1);
  if (t1 <= 0 || t2 < 0) return 'record without table and date';
  return { table: text.slice(0, t1), dt: text.slice(t1 + 1, t2), json: text.slice(t2 + 1) };
}

/** Every whole, valid record of a segment (after repairSegment, all of its records). */
export function readSegment(path: string): WalRecord[] {
  return decodeSegment(readFileSync(path)).records;
}

/**
 * Makes a segment safe to hand to DuckDB: a torn tail is cut at the last whole record; a segment
 * with damage in the middle, or in the legacy format, is rewritten (atomically) as framed records
 * holding only its whole, valid ones. Returns what was decoded, damage included.
 */
export function repairSegment(path: string): DecodedSegment {
  const buf = readFileSync(path);
  // verify without materialising the records (the common case); decode fully only to rewrite
  let dec = decodeSegment(buf, false);
  if (!dec.legacy && dec.damaged.length) dec = decodeSegment(buf, true);
  if (dec.legacy || dec.damaged.length) {
    const tmp = `${path}.repair`;
    writeDurably(tmp, encodeLegacySafe(dec.records));
    renameSync(tmp, path);
  } else if (dec.validBytes < buf.length) {
    const fd = openSync(path, 'r+');
    try {
      // ftruncate through a handle that is then synced: the cut survives a crash
      ftruncateSync(fd, dec.validBytes);
      fsyncSync(fd);
    } finally { closeSync(fd); }
  }
  return dec;
}

/**
 * Earlier versions stored the raw text, which may hold a raw CR (JSON whitespace, or invalid
 * inside a string): re-serialised when it parses; otherwise escaped to stay one line, and the
 * flusher quarantines it as DuckDB cannot read it either.
 */
function encodeLegacySafe(records: WalRecord[]): string {
  let s = '';
  for (const r of records) {
    let json = r.json;
    if (json.includes('\r')) {
      try { json = JSON.stringify(JSON.parse(json)); } catch { json = json.replaceAll('\r', '\\r'); }
    }
    s += encodeRecords([{ ...r, json }]);
  }
  return s;
}

function writeDurably(path: string, data: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally { closeSync(fd); }
}

interface Pending {
  data: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The meaning of a storage error code, for clients and probes (never with a path). */
export function describeStorageError(e: unknown): StorageFault {
  const code = (e as NodeJS.ErrnoException)?.code ?? 'ESTORAGE';
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied on the data directory',
    EPERM: 'operation not permitted on the data directory',
    EROFS: 'the data directory is on a read-only file system',
    EIO: 'input/output error on the data directory',
    EMFILE: 'too many open files',
    ENFILE: 'too many open files in the system',
    SQLITE_FULL: 'no space left on the device (metadata database)',
    SQLITE_READONLY: 'the metadata database is read-only',
    SQLITE_IOERR: 'input/output error on the metadata database',
    WAL_CLOSED: 'the server is shutting down',
  };
  return { code, reason: reasons[code] ?? reasons[code.split('_').slice(0, 2).join('_')] ?? 'storage error', since: new Date().toISOString() };
}

/** Whether an error is about storage (space, permissions, I/O) rather than about the data. */
export function isStorageError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && /^(ENOSPC|EDQUOT|EACCES|EPERM|EROFS|EIO|EMFILE|ENFILE|ENOENT|SQLITE_(FULL|READONLY|IOERR|CANTOPEN))/.test(code);
}

export class WalClosedError extends Error {
  override name = 'WalClosedError';
  readonly code = 'WAL_CLOSED';
  constructor() { super('write-ahead log is closed'); }
}

export class WriteAheadLog {
  readonly dir: string;
  private fh: FileHandle | undefined;
  private segmentName = '';
  private segmentBytes = 0;
  private segmentOpenedAt = 0;
  private seq = 0;
  private queue: Pending[] = [];
  private writing = false;
  private closed = false;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private rotateTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelay = 100;
  /** why the last append failed; cleared by the next one that succeeds (or a probe) */
  fault: StorageFault | null = null;
  /** called with the path of each sealed segment, ready to flush */
  onSealed: (path: string) => void = () => {};

  constructor(readonly root: string, opts: WalOptions = {}) {
    this.maxBytes = opts.maxSegmentBytes ?? 64 << 20;
    this.maxAgeMs = opts.maxSegmentAgeMs ?? 5_000;
    this.dir = join(root, `w-${process.pid}-${Date.now()}-${writersOpened++}`);
    mkdirSync(this.dir, { recursive: true });
    openWriterDirs.add(this.dir);
    writeFileSync(join(this.dir, 'owner.json'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
    this.rotateTimer = setInterval(() => {
      if (this.segmentBytes > 0 && Date.now() - this.segmentOpenedAt >= this.maxAgeMs && !this.writing) {
        this.enqueueRotate();
      }
    }, Math.max(50, Math.min(1000, this.maxAgeMs / 2)));
    this.rotateTimer.unref();
  }

  /** Appends records; resolves once they are on disk (fdatasync). */
  append(records: WalRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new WalClosedError());
    if (records.length === 0) return Promise.resolve();
    let data: string;
    try { data = encodeRecords(records); } catch (e) { return Promise.reject(e as Error); }
    return new Promise((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      void this.drain();
    });
  }

  /** Seals the current segment (if not empty) so the flusher can take it. */
  async rotate(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ data: '', resolve, reject });
      void this.drain();
    });
  }

  private enqueueRotate(): void {
    this.rotate().catch(() => {});
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length) {
        // a rotate request (empty data) ends the group
        const group: Pending[] = [];
        let rotateAfter = false;
        while (this.queue.length) {
          const p = this.queue.shift()!;
          if (p.data === '') { rotateAfter = true; group.push(p); break; }
          group.push(p);
        }
        try {
          const chunk = group.map((p) => p.data).join('');
          if (chunk.length) await this.writeChunk(Buffer.from(chunk));
          if (rotateAfter || this.segmentBytes >= this.maxBytes) await this.seal();
          for (const p of group) p.resolve();
          if (chunk.length) this.healthy();
        } catch (e) {
          this.faulted(e);
          for (const p of group) p.reject(e as Error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Writes and syncs a group; on failure the segment is cut back to its last whole record. */
  private async writeChunk(buf: Buffer): Promise<void> {
    if (!this.fh) await this.openSegment();
    const fh = this.fh!;
    const good = this.segmentBytes;
    try {
      let off = 0;
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      await fh.datasync();
      this.segmentBytes += buf.length;
    } catch (e) {
      // Never append after a failed write: cut the partial group off and leave the segment (a
      // failed fsync leaves the page cache in doubt, so a new segment starts either way). If
      // even the cut fails, the segment keeps a torn tail that recovery cuts at the last whole
      // record; nothing is written after it.
      this.fh = undefined;
      try { await fh.truncate(good); await fh.datasync(); } catch { /* recovery cuts it */ }
      await fh.close().catch(() => {});
      const path = join(this.dir, this.segmentName);
      this.segmentBytes = 0;
      if (good === 0) rmSync(path, { force: true });
      else this.onSealed(path);
      throw e;
    }
  }

  private faulted(e: unknown): void {
    if (e instanceof WalClosedError) return;
    this.fault = describeStorageError(e);
    this.scheduleProbe();
  }

  private healthy(): void {
    this.fault = null;
    this.probeDelay = 100;
    if (this.probeTimer) { clearTimeout(this.probeTimer); this.probeTimer = undefined; }
  }

  /**
   * While appends fail, a small write is tried now and then (100 ms doubling to 10 s), so
   * readiness comes back by itself when the fault clears even if no client is sending.
   */
  private scheduleProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      const probe = join(this.dir, 'probe.tmp');
      try {
        writeDurably(probe, 'x'.repeat(4096));
        rmSync(probe, { force: true });
        this.healthy();
      } catch {
        rmSync(probe, { force: true });
        this.probeDelay = Math.min(10_000, this.probeDelay * 2);
        this.scheduleProbe();
      }
    }, this.probeDelay);
    this.probeTimer.unref();
  }

  private async openSegment(): Promise<void> {
    this.segmentName = `seg-${String(Date.now()).padStart(14, '0')}-${String(this.seq++).padStart(6, '0')}.wal`;
    this.fh = await open(join(this.dir, this.segmentName), 'a');
    this.segmentBytes = 0;
    this.segmentOpenedAt = Date.now();
  }

  private async seal(): Promise<void> {
    if (!this.fh) return;
    await this.fh.close();
    this.fh = undefined;
    const path = join(this.dir, this.segmentName);
    this.segmentBytes = 0;
    this.onSealed(path);
  }

  /** Seals the open segment and stops; the directory stays until its segments are flushed. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.rotate().catch(() => {});
    this.closed = true;
    openWriterDirs.delete(this.dir);
    clearInterval(this.rotateTimer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
  }

  /**
   * What waits in this writer's segments to be turned into Parquet: their bytes, their count and
   * the start time of the oldest (segment names begin with it), for monitoring the flush lag.
   */
  stats(): { bytes: number; segments: number; oldestMs: number | null } {
    let bytes = 0, segments = 0, oldestMs: number | null = null;
    for (const p of listSegments(this.dir)) {
      try { bytes += statSync(p).size; } catch { continue; } // flushed and removed meanwhile
      segments++;
      const started = Number(/seg-(\d+)-/.exec(p)?.[1]);
      if (Number.isFinite(started) && (oldestMs === null || started < oldestMs)) oldestMs = started;
    }
    return { bytes, segments, oldestMs };
  }

  /** Sealed segment files of this writer not yet flushed (excluding the open one). */
  pendingSegments(): string[] {
    return listSegments(this.dir).filter((p) => !this.fh || !p.endsWith(this.segmentName));
  }
}

export function listSegments(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.wal')).sort().map((f) => join(dir, f));
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * Writer directories whose owning process is gone (crashed or exited): their segments must be
 * replayed. A directory of a live process belongs to that process and is left alone.
 */
/** The write-ahead directories this process's open logs append to (never replayed by another lake of it). */
const openWriterDirs = new Set<string>();
let writersOpened = 0;

export function orphanedWriterDirs(root: string, self?: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (dir === self || !name.startsWith('w-')) continue;
    let pid = Number(name.split('-')[1]);
    try { pid = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')).pid; } catch { /* owner file lost: use the name */ }
    // this process's own directories are orphans only once their log is closed: a second lake
    // opened in the same process (a workspace beside the server) must not replay a live one
    if (pid === process.pid ? !openWriterDirs.has(dir) : !alive(pid)) out.push(dir);
  }
  return out.sort();
}

export function removeWriterDirIfEmpty(dir: string): void {
  if (listSegments(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}
