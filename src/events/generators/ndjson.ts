// Writing generated records as NDJSON: events streamed in chunks (a large world never sits in
// memory as text), dimension tables one file each.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

const CHUNK = 2000;

/** Writes records as NDJSON to a stream, honouring back-pressure; resolves to the count. */
export async function writeNdjsonTo(out: Writable, records: Iterable<unknown>, limit = Infinity): Promise<number> {
  let n = 0;
  let buf: string[] = [];
  const flush = async () => {
    if (!buf.length) return;
    const text = buf.join('\n') + '\n';
    buf = [];
    if (!out.write(text)) await new Promise<void>((resolve, reject) => {
      const onDrain = () => { out.off('error', onError); resolve(); };
      const onError = (e: Error) => { out.off('drain', onDrain); reject(e); };
      out.once('drain', onDrain); out.once('error', onError);
    });
  };
  for (const r of records) {
    if (n >= limit) break;
    buf.push(JSON.stringify(r));
    n++;
    if (buf.length >= CHUNK) await flush();
  }
  await flush();
  return n;
}

/** Writes records to an NDJSON file (created or replaced); resolves to the count. */
export async function writeNdjsonFile(path: string, records: Iterable<unknown>, limit = Infinity): Promise<number> {
  const out = createWriteStream(path);
  const opened = new Promise<void>((resolve, reject) => { out.once('open', () => resolve()); out.once('error', reject); });
  await opened;
  try {
    return await writeNdjsonTo(out, records, limit);
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}

export interface WrittenFile { file: string; rows: number }

/** Anything with dimension tables: the music and retail worlds. */
export interface HasDimensions { dimensions(): Record<string, object[]> }

/** Writes each dimension table of a world as DIR/<name>.ndjson (users, tracks, customers, products). */
export async function writeDimensions(world: HasDimensions, dir: string): Promise<WrittenFile[]> {
  mkdirSync(dir, { recursive: true });
  const written: WrittenFile[] = [];
  for (const [name, rows] of Object.entries(world.dimensions())) {
    const file = join(dir, `${name}.ndjson`);
    written.push({ file, rows: await writeNdjsonFile(file, rows) });
  }
  return written;
}

/** Writes a whole world: DIR/events.ndjson plus its dimension files. */
export async function writeWorld(world: HasDimensions & { events(): Iterable<unknown> }, dir: string): Promise<WrittenFile[]> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'events.ndjson');
  const rows = await writeNdjsonFile(file, world.events());
  return [{ file, rows }, ...(await writeDimensions(world, dir))];
}
