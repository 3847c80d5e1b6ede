// What the HTTP app needs from the rest of the product, opened once by the server and shared by
// every route plugin.
import type { Config } from '../config/index.ts';
import type { MetaStore } from '../metadata/db.ts';
import type { Lake } from '../lake/lake.ts';

export interface AppContext {
  config: Config;
  store: MetaStore;
  lake: Lake;
}
