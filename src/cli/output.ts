// The conventions every command follows, in one place (docs: README "Command-line conventions"):
// - exit code 0 on success, 1 when the work failed, 2 for a usage error (bad flag or argument);
// - `--json` on every command: stdout then holds exactly ONE JSON object, the command's result
//   (lists under a named key: {"rows": [...]}, {"tables": [...]}); on failure stdout holds
//   {"error": {"code": "...", "message": "...", "exit": 1|2}} and nothing else;
// - one wording per kind of error: "no such file: PATH", "no such table: NAME (known: ...)";
// - progress on stderr (a line per stage with its time), so stdout stays clean for pipes;
// - numbers rounded to 6 significant digits and right-aligned in tables; one timestamp format,
//   ISO 8601 in UTC to the second (2026-11-23T10:00:00Z).

const ISO_TS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/** The one timestamp format of the CLI: ISO 8601, UTC, to the second. */
export function fmtTimestamp(v: Date | string | number): string {
  const d = v instanceof Date ? v : new Date(typeof v === 'string' && !/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? `${v.replace(' ', 'T')}Z` : v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A number as the CLI prints it: integers grouped as they are, others to 6 significant digits. */
export function fmtNumber(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** One table cell: numbers rounded, timestamps in the one format, objects as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return fmtNumber(v);
  if (v instanceof Date) return fmtTimestamp(v);
  if (typeof v === 'string' && ISO_TS.test(v)) return fmtTimestamp(v);
  if (typeof v === 'object') return JSON.stringify(v, bigintReplacer);
  return String(v);
}

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
  // a column of numbers is right-aligned, so digits line up
  const numeric = cols.map((c) => rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const width = cols.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cellText(r[c]).length))));
  const line = (vals: string[]) => vals.map((v, i) => (v.length > width[i]!
    ? v.slice(0, width[i]! - 1) + '…'
    : numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join('  ').trimEnd();
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cellText(r[c]))));
}

export function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v;
}

/** Whether this process was asked for --json (errors are JSON too, then). */
export const jsonMode = (argv = process.argv): boolean => argv.slice(2).includes('--json');

/** The one JSON result of a command: an object (a list is wrapped under `key`). */
export function printJson(v: unknown, key = 'items'): void {
  const out = Array.isArray(v) ? { [key]: v } : v;
  console.log(JSON.stringify(out, bigintReplacer));
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

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error that carries its kind (code) and exit status to the one place that reports errors. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly code = 'failed', readonly exit = EXIT_FAILURE) { super(message); }
}

/** Ends the command: the message on stderr (or one JSON object on stdout under --json). */
export function exitWith(exit: number, code: string, message: string): never {
  if (jsonMode()) console.log(JSON.stringify({ error: { code, message, exit } }));
  else console.error(`error: ${message}`);
  process.exit(exit);
}

/** Fails the command with a clear message and exit code 1 (no stack trace for user errors). */
export function fail(message: string, code = 'failed'): never {
  return exitWith(EXIT_FAILURE, code, message);
}

/** A bad flag or argument: exit code 2, like every Unix tool. */
export function usage(message: string): never {
  return exitWith(EXIT_USAGE, 'usage', message);
}

/** The one wording of a missing thing: "no such file: x.csv", "no such table: raw.x (known: ...)". */
export function noSuchMessage(kind: string, name: string, hint?: string): string {
  return `no such ${kind}: ${name}${hint ? ` (${hint})` : ''}`;
}

export function noSuch(kind: string, name: string, hint?: string): never {
  return exitWith(EXIT_FAILURE, 'not_found', noSuchMessage(kind, name, hint));
}

/** Error code for a thrown error's message: "not_found" for the "no such ..." wording. */
export function codeOf(e: unknown): string {
  if (e instanceof CliError) return e.code;
  return /^no such |: no such /.test((e as Error)?.message ?? '') ? 'not_found' : 'failed';
}

/**
 * Progress of a command that can take more than a second: a line per stage on stderr with its
 * time ("[eda 2/5] numeric columns  1.20 s  ~2.1 s left"; without a known stage count, no ETA), and
 * the total at the end.
 */
export function progress(task: string, stages: number, log: (l: string) => void = (l) => process.stderr.write(l + '\n')) {
  const t0 = performance.now();
  let t = t0, n = 0;
  const secs = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);
  return {
    step(name: string, note = ''): void {
      const now = performance.now();
      n++;
      const eta = n < stages ? `  ~${secs(((now - t0) / n) * (stages - n))} left` : '';
      log(`[${task} ${stages ? `${n}/${stages}` : n}] ${name.padEnd(24)} ${secs(now - t).padStart(9)}${note ? `  ${note}` : ''}${eta}`);
      t = now;
    },
    done(summary = ''): void { log(`[${task}] done in ${secs(performance.now() - t0)}${summary ? `: ${summary}` : ''}`); },
  };
}
