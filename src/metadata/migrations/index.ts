// Every migration of the metadata database, in order. Names sort in application order;
// each domain adds its own file and one line here.
import type { Migration } from 'kysely';
import * as lakeCatalog from './001_lake_catalog.ts';
import * as tracking from './002_tracking.ts';
import * as pipelines from './004_pipelines.ts';
import * as monitoring from './005_monitoring.ts';
import * as stream from './006_stream.ts';
import * as lakeDeletes from './007_lake_deletes.ts';

export const migrations: Record<string, Migration> = {
  '001_lake_catalog': lakeCatalog,
  '002_tracking': tracking,
  '004_pipelines': pipelines,
  '005_monitoring': monitoring,
  '006_stream': stream,
  '007_lake_deletes': lakeDeletes,
};
