// Drift tasks for the thread pool: PSI and KS of one feature (src/monitoring/drift.ts).
import { featureDrift, type DriftStats } from './drift.ts';

export function drift(m: { ref: Float64Array; cur: Float64Array; bins?: number }): DriftStats {
  return featureDrift(m.ref, m.cur, { bins: m.bins });
}
