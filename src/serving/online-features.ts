// Online features: the spend model's feature row of every known customer, held in memory so a
// prediction by customer id is a map lookup. The rows are built by the retail feature code
// (the same function that built the training rows) over the latest snapshot of the clean sales
// lines, as of the day after the last sale; when a new snapshot of that table is committed, or
// the spend model's feature layout changes, the rows are rebuilt off to the side and swapped in.
import { customerFeatures } from '../analytics/retail/features.ts';
import type { Lake } from '../lake/lake.ts';
import { Warehouse } from '../warehouse/session.ts';
import type { SpendServable } from './servables.ts';

export const FEATURE_SOURCE = 'curated.commerce_lines';

export interface FeatureSet {
  /** the lake snapshot the rows were built from */
  table: string;
  snapshot: number;
  asOf: string;
  columns: string[];
  rows: Map<string, Float64Array>;
  /** the layout the rows follow (the spend model's categories and countries) */
  layout: string;
}

/**
 * Features that depend on the cutoff only: the season of the target window as the retail spend
 * model encodes it (src/analytics/retail/spend.ts withSeason, SEASON_FEATURES).
 */
export function cutoffFeatures(cutoff: Date): Record<string, number> {
  const m = cutoff.getUTCMonth() + cutoff.getUTCDate() / 31;
  return { cutoff_month_sin: Math.sin((2 * Math.PI * m) / 12), cutoff_month_cos: Math.cos((2 * Math.PI * m) / 12) };
}

export class OnlineFeatures {
  private current: FeatureSet | null = null;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly lake: Lake,
    private readonly model: () => SpendServable | undefined,
    private readonly opts: { refreshMs?: number; log?: (m: string) => void } = {},
  ) {}

  get features(): FeatureSet | null { return this.current; }
  get error(): string | null { return this.lastError; }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => { void this.check(); }, this.opts.refreshMs ?? 5000);
    this.timer.unref();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  /** Rebuilds the rows when the source snapshot or the model's layout changed. */
  check(): Promise<void> {
    if (this.busy) return this.busy;
    this.busy = this.rebuildIfStale().finally(() => { this.busy = null; });
    return this.busy;
  }

  private async rebuildIfStale(): Promise<void> {
    const m = this.model();
    if (!m) return;
    try {
      if (!(await this.lake.catalog.tableExists(FEATURE_SOURCE))) return;
      const snapshot = await this.lake.catalog.currentSnapshot(FEATURE_SOURCE);
      const layout = JSON.stringify([m.features, m.categories, m.countries]);
      if (this.current && this.current.snapshot === snapshot && this.current.layout === layout) return;
      const wh = await Warehouse.open({ lake: this.lake, pins: { [FEATURE_SOURCE]: snapshot } });
      try {
        const [last] = await wh.query<{ last: Date | null }>(`SELECT max(ts) AS last FROM ${FEATURE_SOURCE}`);
        if (!last?.last) return;
        const asOf = new Date(new Date(last.last).getTime() + 86_400_000);
        const t = await customerFeatures(wh, { cutoff: asOf, categories: m.categories, countries: m.countries });
        // the model's columns, in its order: the customer table's, plus the ones derived from the cutoff
        const derived = cutoffFeatures(asOf);
        const src = m.features.map((f) => {
          const j = t.columns.indexOf(f);
          if (j < 0 && !(f in derived)) {
            throw new Error(`the spend model needs feature "${f}", which the customer feature table does not have (it has ${t.columns.join(', ')})`);
          }
          return j;
        });
        const rows = new Map<string, Float64Array>();
        const d = t.X.cols;
        t.ids.forEach((id, i) => rows.set(id, Float64Array.from(src, (j, k) => (j >= 0 ? t.X.data[i * d + j]! : derived[m.features[k]!]!))));
        const before = this.current;
        this.current = { table: FEATURE_SOURCE, snapshot, asOf: asOf.toISOString(), columns: m.features, rows, layout };
        this.lastError = null;
        this.opts.log?.(`features: ${rows.size} customers from ${FEATURE_SOURCE}@${snapshot}${before ? ` (was @${before.snapshot})` : ''}`);
      } finally {
        wh.close();
      }
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.opts.log?.(`features: cannot build the online features: ${msg}`);
      this.lastError = msg;
    }
  }
}
