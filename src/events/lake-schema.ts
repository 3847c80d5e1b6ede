// Lake column types for each event table, derived from the zod schemas (the one source of
// truth), so every Parquet file of a table has the same columns and types.
import { z } from 'zod';
import { eventSchemas, type EventType } from './schemas.ts';
import type { ColumnTypes } from '../lake/parquet.ts';

function duckType(prop: Record<string, any>, name: string): string {
  const t = prop.anyOf ? prop.anyOf.find((x: any) => x.type !== 'null') ?? prop.anyOf[0] : prop;
  if (name === 'ts' || t.format === 'date-time') return 'TIMESTAMPTZ';
  switch (t.type) {
    case 'integer': return 'BIGINT';
    case 'number': return 'DOUBLE';
    case 'boolean': return 'BOOLEAN';
    case 'array': return `${duckType(t.items ?? {}, '')}[]`;
    default: return 'VARCHAR';
  }
}

export function columnTypesOf(schema: z.ZodObject): ColumnTypes {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties: Record<string, any> };
  const out: ColumnTypes = {};
  for (const [name, prop] of Object.entries(json.properties)) out[name] = duckType(prop, name);
  return out;
}

export const QUARANTINE_TABLE = 'quarantine.events';

/** Rejected input, kept with the reason. */
export const quarantineColumns: ColumnTypes = {
  received_at: 'TIMESTAMPTZ',
  source: 'VARCHAR',
  batch_index: 'BIGINT',
  line: 'BIGINT',
  event_type: 'VARCHAR',
  event_id: 'VARCHAR',
  field: 'VARCHAR',
  reason: 'VARCHAR',
  payload: 'VARCHAR',
};

export function eventTable(type: EventType): string {
  return `raw.${type}`;
}

/** Declared lake schemas of every event table and of the quarantine. */
export function eventLakeSchemas(): Record<string, ColumnTypes> {
  const out: Record<string, ColumnTypes> = { [QUARANTINE_TABLE]: quarantineColumns };
  for (const [type, schema] of Object.entries(eventSchemas)) out[eventTable(type as EventType)] = columnTypesOf(schema as z.ZodObject);
  return out;
}
