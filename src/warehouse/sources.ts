// Declared schemas of the lake tables the SQL models read: the event tables (from the zod
// schemas) and the imported dimension files. A declared table always exists in the warehouse,
// empty until data arrives.
import type { ColumnTypes } from '../lake/parquet.ts';
import { eventLakeSchemas } from '../events/lake-schema.ts';

export const dimensionSources: Record<string, ColumnTypes> = {
  'raw.users': { user_id: 'VARCHAR', name: 'VARCHAR', age: 'BIGINT', country: 'VARCHAR', signup_date: 'DATE' },
  'raw.tracks': {
    track_id: 'VARCHAR',
    title: 'VARCHAR',
    artist_id: 'VARCHAR',
    artist: 'VARCHAR',
    genre: 'VARCHAR',
    bpm: 'DOUBLE',
    duration_ms: 'BIGINT',
    release_year: 'BIGINT',
  },
};

export function sourceSchemas(): Record<string, ColumnTypes> {
  return { ...eventLakeSchemas(), ...dimensionSources };
}
