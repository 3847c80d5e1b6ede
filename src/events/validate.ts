// Validation of incoming event batches: every event is checked against its zod schema; valid
// ones become lake records, invalid ones become quarantine records with the reason, and the
// caller gets, for each rejection, its index, the field path and the message.
import { eventSchemas, type AnyEvent, type EventType } from './schemas.ts';
import { fastValidators } from './fast-validate.ts';
import { eventTable, QUARANTINE_TABLE } from './lake-schema.ts';
import type { WalRecord } from '../lake/wal.ts';
import { jsonErrorOffset, lineColumn } from './json-error.ts';
import { deeperThan, jsonStructureProblem, MAX_JSON_DEPTH, MAX_OBJECT_KEYS, type StructureProblem } from './json-structure.ts';
import { isWellFormed, toWellFormed } from '../util/unicode.ts';

export interface Rejection {
  /** position of the event in the batch (0-based) */
  index: number;
  /** 1-based line of the body for NDJSON input */
  line?: number;
  event_id?: string;
  /** dotted path of the offending field ("ms_played", "track_ids.3"), or "(event)" for the whole */
  field: string;
  message: string;
}

export interface ValidatedBatch {
  records: WalRecord[];
  quarantine: WalRecord[];
  rejected: Rejection[];
  accepted: number;
  byType: Partial<Record<EventType, number>>;
  /** rejected events by their type ("unknown" when it is missing or not a known type) */
  rejectedByType: Record<string, number>;
}

/** A body that cannot be read as a batch at all: answered with a 4xx naming the line. */
export class MalformedBodyError extends Error {
  override name = 'MalformedBodyError';
  constructor(message: string, readonly line?: number, readonly column?: number, readonly code = 'malformed_json', readonly key?: string) { super(message); }
}

export interface ParsedItem {
  value: unknown;
  line?: number;
  raw: string;
  parseError?: string;
  /** JSON.stringify(value), when already computed (the canonical form stored) */
  json?: string;
}

/**
 * Checks what JSON.parse accepted but the lake must not take: duplicate keys, deep nesting, huge
 * objects. Text that is already canonical (what JSON.stringify gives back: the common case of a
 * machine-written body) cannot hold any of them, so the scan runs only on other text.
 * Returns the canonical form.
 */
function checkStructure(text: string, value: unknown, lineOf: (offset: number) => { line: number; column: number; prefix: string }): string | undefined {
  let canonical: string | undefined;
  try { canonical = JSON.stringify(value); } catch { canonical = undefined; /* too deep to serialise: the scan says where */ }
  // canonical text has no duplicate key; only its depth is left to check, on the parsed value
  if (canonical === text) {
    if (deeperThan(value)) throw structureError({ kind: 'too_deep', depth: MAX_JSON_DEPTH + 1, offset: 0 }, { ...lineOf(0), column: 0 });
    return canonical;
  }
  const p = jsonStructureProblem(text);
  if (p) throw structureError(p, lineOf(p.offset));
  if (canonical === undefined) throw new MalformedBodyError('the body cannot be serialised', undefined, undefined, 'too_deep');
  return canonical;
}

function structureError(p: StructureProblem, at: { line: number; column: number; prefix: string }): MalformedBodyError {
  const where = at.column ? `${at.prefix}line ${at.line}, column ${at.column}` : `${at.prefix}line ${at.line}`;
  switch (p.kind) {
    case 'duplicate_key':
      return new MalformedBodyError(
        `duplicate key ${JSON.stringify(toWellFormed(p.key))} in one object at ${where}: each key may appear once`,
        at.line,
        at.column,
        'duplicate_key',
        toWellFormed(p.key),
      );
    case 'too_deep':
      return new MalformedBodyError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels at ${where}`, at.line, at.column, 'too_deep');
    case 'too_many_keys':
      return new MalformedBodyError(`an object with more than ${MAX_OBJECT_KEYS} keys at ${where}`, at.line, at.column, 'too_many_keys');
  }
}

/** Splits an NDJSON body into items; a line that is not JSON becomes an item with parseError. */
export function parseNdjson(body: string): ParsedItem[] {
  const out: ParsedItem[] = [];
  let line = 0;
  let start = 0;
  while (start <= body.length) {
    let nl = body.indexOf('\n', start);
    if (nl < 0) nl = body.length;
    line++;
    // JSON whitespace (CR of CRLF line ends included) around the value is not part of it
    const raw = body.slice(start, nl).trim();
    start = nl + 1;
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      out.push({ value: undefined, line, raw, parseError: `malformed JSON on line ${line}: ${(e as Error).message}` });
      continue;
    }
    const at = line;
    const json = checkStructure(raw, value, (offset) => ({ line: at, column: offset + 1, prefix: '' }));
    out.push({ value, line, raw, json });
  }
  return out;
}

/** Parses a JSON body (one event or an array of events); malformed JSON names line and column. */
export function parseJsonBody(body: string): ParsedItem[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    const offset = jsonErrorOffset(body);
    const { line, column } = lineColumn(body, Math.max(0, offset));
    throw new MalformedBodyError(`malformed JSON at line ${line}, column ${column}: ${(e as Error).message}`, line, column);
  }
  checkStructure(body, value, (offset) => ({ ...lineColumn(body, offset), prefix: '' }));
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => ({ value: v, raw: '' }));
}

/** The UTC date of an ISO timestamp, for the dt= partition. */
export function partitionDate(ts: string): string {
  return ts.endsWith('Z') ? ts.slice(0, 10) : new Date(ts).toISOString().slice(0, 10);
}

export function validateBatch(items: ParsedItem[], source: string, receivedAt = new Date()): ValidatedBatch {
  const out: ValidatedBatch = { records: [], quarantine: [], rejected: [], accepted: 0, byType: {}, rejectedByType: {} };
  const receivedIso = receivedAt.toISOString();
  const dt = receivedIso.slice(0, 10);
  items.forEach((item, index) => {
    const accept = (ev: AnyEvent, type: EventType, same: boolean) => {
      // what was validated is what is stored: the event re-serialised (never the raw text, whose
      // whitespace, escapes or duplicate keys another reader could take differently)
      out.records.push({ table: eventTable(type), dt: partitionDate(ev.ts), json: same && item.json !== undefined ? item.json : JSON.stringify(ev) });
      out.accepted++;
      out.byType[type] = (out.byType[type] ?? 0) + 1;
    };
    const reject = (field: string, message: string, eventId?: string, type?: string) => {
      const r: Rejection = { index, field, message };
      if (item.line !== undefined) r.line = item.line;
      if (eventId !== undefined) r.event_id = eventId;
      out.rejected.push(r);
      const t = type ?? 'unknown';
      out.rejectedByType[t] = (out.rejectedByType[t] ?? 0) + 1;
      out.quarantine.push({
        table: QUARANTINE_TABLE, dt,
        // kept as text the lake can always read: lone surrogates become U+FFFD
        json: JSON.stringify({
          received_at: receivedIso, source, batch_index: index, line: item.line ?? null, event_type: type ?? null,
          event_id: eventId ?? null, field, reason: message, payload: item.raw || safeStringify(item.value),
        }, wellFormedStrings),
      });
    };
    if (item.parseError) return reject('(json)', item.parseError);
    const v = item.value as Record<string, unknown> | null;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return reject('(event)', 'an event must be a JSON object');
    const eventId = typeof v.event_id === 'string' ? toWellFormed(v.event_id) : undefined;
    const illFormed = illFormedPath(v);
    if (illFormed !== null) {
      return reject(
        illFormed,
        'ill-formed Unicode: the string holds a lone surrogate (a \\ud800-\\udfff escape without its pair)',
        eventId,
        typeof v.type === 'string' ? toWellFormed(v.type) : undefined,
      );
    }
    const type = v.type;
    if (typeof type !== 'string' || !(type in eventSchemas)) {
      return reject('type', `unknown event type ${JSON.stringify(type)}; expected one of ${Object.keys(eventSchemas).join(', ')}`, eventId);
    }
    if (fastValidators[type as EventType](v)) return accept(v as unknown as AnyEvent, type as EventType, true);
    const parsed = eventSchemas[type as EventType].safeParse(v);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? (issue as any).keys.join(',') : '(event)';
      return reject(field, issue.message, eventId, type);
    }
    accept(parsed.data, type as EventType, false);
  });
  return out;
}

/** The path of the first string (or key) holding a lone surrogate in an event, or null. */
export function illFormedPath(v: Record<string, unknown>): string | null {
  for (const k in v) {
    if (!isWellFormed(k)) return toWellFormed(k);
    const x = v[k];
    if (typeof x === 'string') { if (!isWellFormed(x)) return k; }
    else if (typeof x === 'object' && x !== null) {
      const inner = Array.isArray(x) ? Object.fromEntries(x.map((y, i) => [String(i), y])) : x as Record<string, unknown>;
      const p = illFormedPath(inner);
      if (p !== null) return `${k}.${p}`;
    }
  }
  return null;
}

function wellFormedStrings(_key: string, v: unknown): unknown {
  return typeof v === 'string' ? toWellFormed(v) : v;
}

function safeStringify(v: unknown): string {
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}
