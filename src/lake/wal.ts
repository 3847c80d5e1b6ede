// Write-ahead segments: the durability point of the embedded lake. A record is acknowledged only
// after it is appended and fdatasync'd to the current segment. Concurrent appends are grouped
// into one write + one sync (group commit), so throughput grows with concurrency instead of
// paying one disk flush per request.
//
// Line format: `zone.table \t dt \t json \n`. Each process writes in its own directory
// (wal/w-<pid>-<start>/) holding an owner file; at start-up, directories of dead owners are
// handed to the flusher for replay.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

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

export function encodeRecords(records: WalRecord[]): string {
  let s = '';
  for (const r of records) s += `${r.table}\t${r.dt}\t${r.json}\n`;
  return s;
}

/** Parses a segment; a torn last line (crash mid-write, never acknowledged) is dropped. */
export function decodeSegment(text: string): WalRecord[] {
  const out: WalRecord[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break; // torn tail
    const t1 = text.indexOf('\t', start);
    const t2 = t1 < 0 ? -1 : text.indexOf('\t', t1 + 1);
    if (t1 > start && t2 > t1 && t2 < nl) {
      out.push({ table: text.slice(start, t1), dt: text.slice(t1 + 1, t2), json: text.slice(t2 + 1, nl) });
    }
    start = nl + 1;
  }
  return out;
}

interface Pending {
  data: string;
  resolve: () => void;
  reject: (e: Error) => void;
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
  /** called with the path of each sealed segment, ready to flush */
  onSealed: (path: string) => void = () => {};

  constructor(readonly root: string, opts: WalOptions = {}) {
    this.maxBytes = opts.maxSegmentBytes ?? 64 << 20;
    this.maxAgeMs = opts.maxSegmentAgeMs ?? 5_000;
    this.dir = join(root, `w-${process.pid}-${Date.now()}`);
    mkdirSync(this.dir, { recursive: true });
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
    if (this.closed) return Promise.reject(new Error('write-ahead log is closed'));
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ data: encodeRecords(records), resolve, reject });
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
          if (chunk.length) {
            if (!this.fh) await this.openSegment();
            const buf = Buffer.from(chunk);
            let off = 0;
            while (off < buf.length) off += (await this.fh!.write(buf, off, buf.length - off)).bytesWritten;
            await this.fh!.datasync();
            this.segmentBytes += buf.length;
          }
          if (rotateAfter || this.segmentBytes >= this.maxBytes) await this.seal();
          for (const p of group) p.resolve();
        } catch (e) {
          for (const p of group) p.reject(e as Error);
        }
      }
    } finally {
      this.writing = false;
    }
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
    await this.rotate();
    this.closed = true;
    clearInterval(this.rotateTimer);
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
export function orphanedWriterDirs(root: string, self?: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (dir === self || !name.startsWith('w-')) continue;
    let pid = Number(name.split('-')[1]);
    try { pid = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')).pid; } catch { /* owner file lost: use the name */ }
    if (pid === process.pid || !alive(pid)) out.push(dir);
  }
  return out.sort();
}

export function removeWriterDirIfEmpty(dir: string): void {
  if (listSegments(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}
