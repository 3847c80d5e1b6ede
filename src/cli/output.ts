// Printing helpers shared by every command: aligned tables, JSON, CSV, and stage timings.

/** A value as plain text: timestamps as ISO-8601 (not JSON's quoted string), lists and structs as JSON. */
export function plainText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, bigintReplacer);
  return String(v);
}

export function printTable(rows: Record<string, unknown>[], columns?: string[]): void {
  if (rows.length === 0) { console.log('(no rows)'); return; }
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(6))) : plainText(v));
  const width = cols.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (vals: string[]) => vals.map((v, i) => (v.length > width[i]! ? v.slice(0, width[i]! - 1) + '…' : v.padEnd(width[i]!))).join('  ').trimEnd();
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

export function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v;
}

export function printJson(v: unknown): void {
  console.log(JSON.stringify(v, bigintReplacer));
}

export function printCsv(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const esc = (v: unknown) => {
    const s = plainText(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  console.log(cols.join(','));
  for (const r of rows) console.log(cols.map((c) => esc(r[c])).join(','));
}

/** Fails the command with a clear message and exit code 1 (no stack trace for user errors). */
export function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}
