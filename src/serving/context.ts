// What the HTTP app needs from the rest of the product, opened once by the server and shared by
// every route plugin.
import type { Config } from '../config/index.ts';
import type { MetaStore } from '../metadata/db.ts';
import type { Lake } from '../lake/lake.ts';
import type { Bus } from '../bus/types.ts';
import type { ServiceBoard } from '../bus/service-status.ts';
import type { ModelRegistry } from '../tracking/index.ts';
import type { AuditLog } from './audit.ts';
import type { CollectorRate } from './collector-rate.ts';
import type { ModelHost } from './model-host.ts';
import type { OnlineFeatures } from './online-features.ts';

export interface AppContext {
  config: Config;
  store: MetaStore;
  lake: Lake;
  /** the JetStream bus in scale-out mode (NATS_URL) */
  bus?: Bus;
  /** what the services on the bus last reported (scale-out mode) */
  services?: ServiceBoard;
  /** present when the server serves models (startServer always opens them) */
  registry?: ModelRegistry;
  models?: ModelHost;
  features?: OnlineFeatures;
  audit?: AuditLog;
  /** events the collector took, for the dashboard's live rate (created by buildApp when absent) */
  collected?: CollectorRate;
}
