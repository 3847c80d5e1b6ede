// Validation of incoming event batches: every event is checked against its zod schema; valid
// ones become lake records, invalid ones become quarantine records with the reason, and the
// caller gets, for each rejection, its index, the field path and the message.
import { eventSchemas, type AnyEvent, type EventType } from './schemas.ts';
import { fastValidators } from './fast-validate.ts';
import { eventTable, QUARANTINE_TABLE } from './lake-schema.ts';
import type { WalRecord } from '../lake/wal.ts';
import { jsonErrorOffset, lineColumn } from './json-error.ts';

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
}

/** A body that cannot be read as a batch at all: answered with a 4xx naming the line. */
export class MalformedBodyError extends Error {
  override name = 'MalformedBodyError';
  constructor(message: string, readonly line?: number, readonly column?: number) { super(message); }
}

export interface ParsedItem { value: unknown; line?: number; raw: string; parseError?: string }

/** Splits an NDJSON body into items; a line that is not JSON becomes an item with parseError. */
export function parseNdjson(body: string): ParsedItem[] {
  const out: ParsedItem[] = [];
  let line = 0;
  let start = 0;
  while (start <= body.length) {
    let nl = body.indexOf('\n', start);
    if (nl < 0) nl = body.length;
    line++;
    const raw = body.slice(start, nl).trim();
    start = nl + 1;
    if (!raw) continue;
    try {
      out.push({ value: JSON.parse(raw), line, raw });
    } catch (e) {
      out.push({ value: undefined, line, raw, parseError: `malformed JSON on line ${line}: ${(e as Error).message}` });
    }
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
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => ({ value: v, raw: '' }));
}

/** The UTC date of an ISO timestamp, for the dt= partition. */
export function partitionDate(ts: string): string {
  return ts.endsWith('Z') ? ts.slice(0, 10) : new Date(ts).toISOString().slice(0, 10);
}

export function validateBatch(items: ParsedItem[], source: string, receivedAt = new Date()): ValidatedBatch {
  const out: ValidatedBatch = { records: [], quarantine: [], rejected: [], accepted: 0, byType: {} };
  const receivedIso = receivedAt.toISOString();
  const dt = receivedIso.slice(0, 10);
  items.forEach((item, index) => {
    const accept = (ev: AnyEvent, type: EventType) => {
      // the original text is stored when it is one clean line (tabs separate WAL fields)
      out.records.push({ table: eventTable(type), dt: partitionDate(ev.ts), json: item.raw && !item.raw.includes('\t') ? item.raw : JSON.stringify(ev) });
      out.accepted++;
      out.byType[type] = (out.byType[type] ?? 0) + 1;
    };
    const reject = (field: string, message: string, eventId?: string, type?: string) => {
      const r: Rejection = { index, field, message };
      if (item.line !== undefined) r.line = item.line;
      if (eventId !== undefined) r.event_id = eventId;
      out.rejected.push(r);
      out.quarantine.push({
        table: QUARANTINE_TABLE, dt,
        json: JSON.stringify({
          received_at: receivedIso, source, batch_index: index, line: item.line ?? null, event_type: type ?? null,
          event_id: eventId ?? null, field, reason: message, payload: item.raw || safeStringify(item.value),
        }),
      });
    };
    if (item.parseError) return reject('(json)', item.parseError);
    const v = item.value as Record<string, unknown> | null;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return reject('(event)', 'an event must be a JSON object');
    const eventId = typeof v.event_id === 'string' ? v.event_id : undefined;
    const type = v.type;
    if (typeof type !== 'string' || !(type in eventSchemas)) {
      return reject('type', `unknown event type ${JSON.stringify(type)}; expected one of ${Object.keys(eventSchemas).join(', ')}`, eventId);
    }
    if (fastValidators[type as EventType](v)) return accept(v as unknown as AnyEvent, type as EventType);
    const parsed = eventSchemas[type as EventType].safeParse(v);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? (issue as any).keys.join(',') : '(event)';
      return reject(field, issue.message, eventId, type);
    }
    accept(parsed.data, type as EventType);
  });
  return out;
}

function safeStringify(v: unknown): string {
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}
