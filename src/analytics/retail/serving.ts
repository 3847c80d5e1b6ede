// What the serving layer calls (POST /v1/segment, POST /v1/predict/spend): the registered retail
// models loaded from the registry, and plain functions over them. No HTTP here; the routes
// validate the request, call these and shape the answer.
import type { Matrix } from '../../ml/core/matrix.ts';
import type { ModelRegistry } from '../../tracking/index.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { BASE_FEATURES, customerFeatures } from './features.ts';
import { regressorFromJSON, type FittedRegressor, type ModelName } from './models.ts';
import { SegmentModel, type CustomerProfile, type Match } from './segments.ts';
import { seasonColumns, withSeason } from './spend.ts';

export const SEGMENT_MODEL = 'retail-segments';
export const SPEND_MODEL = 'retail-spend';

/** The segmentation registered by `tributary run retail` (alias or version; default champion). */
export async function loadSegmentModel(registry: ModelRegistry, versionOrAlias: number | string = 'champion'): Promise<{ version: number; model: SegmentModel }> {
  const m = await registry.loadModel(SEGMENT_MODEL, versionOrAlias);
  return { version: m.version, model: SegmentModel.fromJSON(m.artifact) };
}

export interface SegmentRequest { customer_id?: string; profile?: CustomerProfile; k?: number }

/** A known customer's segment and k most similar customers, or those of a new profile. */
export function matchSegment(model: SegmentModel, req: SegmentRequest): Match {
  const k = req.k ?? 5;
  if ((req.customer_id === undefined) === (req.profile === undefined)) throw new Error('give exactly one of customer_id or profile');
  return req.customer_id !== undefined ? model.matchCustomer(req.customer_id, k) : model.matchProfile(req.profile!, k);
}

export interface SpendArtifact {
  kind: 'RetailSpendModel';
  model: ModelName;
  features: string[];
  categories: string[];
  countries: string[];
  horizon_days: number;
  estimator: unknown;
}

/** The registered spend model: predicts a customer's spend in the next horizon_days. */
export class SpendModel {
  private readonly est: FittedRegressor;
  constructor(readonly artifact: SpendArtifact) {
    if (artifact?.kind !== 'RetailSpendModel') throw new Error('not a RetailSpendModel artifact');
    this.est = regressorFromJSON(artifact.model, artifact.estimator);
  }

  /** Rows in the artifact's feature order; predictions are clipped at 0 (spend is never negative). */
  predict(X: Matrix): Float64Array {
    if (X.cols !== this.artifact.features.length) throw new Error(`spend model: expected ${this.artifact.features.length} features (${this.artifact.features.join(', ')}), got ${X.cols}`);
    return this.est.predict(X).map((v) => Math.max(0, v));
  }

  /**
   * The feature row of a profile given in plain terms: recency_days, frequency (invoices),
   * monetary, tenure_days, last_90d_spend, last_90d_invoices, optional category mix shares and
   * country, at a cutoff (default now) whose month feeds the season columns.
   */
  profileRow(p: SpendProfile, cutoff = new Date()): Float64Array {
    const a = this.artifact;
    for (const f of ['recency_days', 'frequency', 'monetary', 'tenure_days'] as const) {
      if (typeof p[f] !== 'number' || !Number.isFinite(p[f]) || p[f] < 0) throw new Error(`profile.${f} must be a finite number >= 0, got ${JSON.stringify(p[f])}`);
    }
    const base: Record<(typeof BASE_FEATURES)[number], number> = {
      recency_days: p.recency_days, frequency: p.frequency, monetary: p.monetary, tenure_days: p.tenure_days,
      avg_ticket: p.frequency > 0 ? p.monetary / p.frequency : 0, last_90d_spend: p.last_90d_spend ?? 0,
      last_90d_invoices: p.last_90d_invoices ?? 0, log_monetary: Math.log1p(p.monetary),
    };
    const season = seasonColumns(cutoff);
    const row = new Float64Array(a.features.length);
    a.features.forEach((f, j) => {
      if (f in base) row[j] = base[f as keyof typeof base];
      else if (f.startsWith('mix_')) row[j] = p.mix?.[f.slice(4)] ?? 0;
      else if (f.startsWith('country_')) row[j] = p.country === f.slice(8) ? 1 : 0;
      else if (f === 'cutoff_month_sin') row[j] = season[0];
      else if (f === 'cutoff_month_cos') row[j] = season[1];
      else throw new Error(`spend model: unknown feature ${f}`);
    });
    for (const k of Object.keys(p.mix ?? {})) if (!a.categories.includes(k)) throw new Error(`profile.mix: unknown category "${k}" (known: ${a.categories.join(', ')})`);
    return row;
  }

  predictProfile(p: SpendProfile, cutoff = new Date()): number {
    return this.predict({ rows: 1, cols: this.artifact.features.length, data: this.profileRow(p, cutoff) })[0]!;
  }

  /** Known customers' predicted spend, features built from the warehouse as of `cutoff` (default: after the last sale). */
  async predictCustomers(wh: Warehouse, ids: string[], cutoff?: Date): Promise<Map<string, number>> {
    const c = cutoff ?? await afterLastSale(wh);
    const t = await customerFeatures(wh, { cutoff: c, categories: this.artifact.categories, countries: this.artifact.countries });
    const want = new Set(ids.map(String));
    const p = this.predict(withSeason(t.X, c));
    const out = new Map<string, number>();
    t.ids.forEach((id, i) => { if (want.has(id)) out.set(id, p[i]!); });
    return out;
  }
}

export interface SpendProfile {
  recency_days: number; frequency: number; monetary: number; tenure_days: number;
  last_90d_spend?: number; last_90d_invoices?: number; mix?: Record<string, number>; country?: string;
}

export async function loadSpendModel(registry: ModelRegistry, versionOrAlias: number | string = 'champion'): Promise<{ version: number; model: SpendModel }> {
  const m = await registry.loadModel(SPEND_MODEL, versionOrAlias);
  return { version: m.version, model: new SpendModel(m.artifact as SpendArtifact) };
}

async function afterLastSale(wh: Warehouse): Promise<Date> {
  const [r] = await wh.query<{ hi: Date | null }>('SELECT max(ts) AS hi FROM curated.commerce_lines');
  if (!r?.hi) throw new Error('curated.commerce_lines is empty');
  return new Date(new Date(r.hi).getTime() + 1000);
}
