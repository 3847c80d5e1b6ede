// Which columns of a table become features: `--features` (exactly these) or every column but
// the target and `--drop`, minus what cannot generalise: identifier-like columns (nearly every
// value distinct, as `tributary eda` reports them: an event id or a name teaches a model the rows,
// not the pattern) and constant columns (one value: nothing to learn). Every exclusion is reported
// with its reason, so a user sees what the model does not use.
import { InvalidInputError } from '../core/errors.ts';
import { isNumeric, type Frame } from '../core/frame.ts';

export type ExclusionReason = 'identifier-like' | 'constant' | 'dropped';
export interface ExcludedColumn { column: string; reason: ExclusionReason; detail: string }

/** eda's rule: a text column whose distinct values are more than 90% of its non-missing values (over 100 rows). */
export function isIdentifierLike(distinct: number, nonMissing: number, rows: number): boolean {
  return rows > 100 && distinct > 0.9 * nonMissing;
}

/** A numeric column named like an identifier (id, user_id, ...) whose values are all distinct. */
const ID_NAME = /(^|_)(id|uuid)$/i;

/**
 * The one rule for an identifier-like column, used by training (never a feature) and by
 * `eda --compare` (never a drift: a new snapshot has new ids by nature): text with nearly every
 * value distinct, or a number named like an id with every value distinct (over 100 rows).
 */
export function identifierLikeColumn(name: string, c: { numeric: boolean; distinct: number; nonMissing: number; rows: number }): boolean {
  return c.numeric ? ID_NAME.test(name) && c.distinct === c.nonMissing && c.rows > 100 : isIdentifierLike(c.distinct, c.nonMissing, c.rows);
}

function profile(frame: Frame, name: string): { distinct: number; nonMissing: number; numeric: boolean } {
  const c = frame.columns.get(name)!;
  const seen = new Set<string | number>();
  let nonMissing = 0;
  if (isNumeric(c)) {
    for (let i = 0; i < c.length; i++) { const v = c[i]!; if (v === v) { nonMissing++; seen.add(v); } }
  } else {
    for (const v of c) if (v !== null) { nonMissing++; seen.add(v); }
  }
  return { distinct: seen.size, nonMissing, numeric: isNumeric(c) };
}

export interface FeatureSelection {
  /** feature columns, in the table's order */
  features: string[];
  excluded: ExcludedColumn[];
}

/**
 * features: use exactly these (each must exist; nothing is excluded automatically: the user chose).
 * Otherwise every column but the target and `drop`, without identifier-like and constant ones.
 */
export function selectFeatures(frame: Frame, opts: { target: string; features?: string[]; drop?: string[] }): FeatureSelection {
  const all = [...frame.columns.keys()];
  const known = new Set(all);
  for (const c of [...(opts.features ?? []), ...(opts.drop ?? [])]) {
    if (!known.has(c)) throw new InvalidInputError(`column "${c}" is not in the table (columns: ${all.join(', ')})`);
  }
  if (opts.features?.includes(opts.target)) throw new InvalidInputError(`--features: "${opts.target}" is the target`);
  const drop = new Set(opts.drop ?? []);
  if (opts.features?.length) {
    const chosen = new Set(opts.features.filter((c) => !drop.has(c)));
    return {
      features: all.filter((c) => chosen.has(c)),
      excluded: opts.features.filter((c) => drop.has(c)).map((column) => ({ column, reason: 'dropped' as const, detail: '--drop' })),
    };
  }
  const features: string[] = [], excluded: ExcludedColumn[] = [];
  for (const c of all) {
    if (c === opts.target) continue;
    if (drop.has(c)) { excluded.push({ column: c, reason: 'dropped', detail: '--drop' }); continue; }
    const p = profile(frame, c);
    if (p.distinct <= 1) { excluded.push({ column: c, reason: 'constant', detail: p.distinct ? 'one value' : 'no values' }); continue; }
    if (identifierLikeColumn(c, { ...p, rows: frame.length })) {
      excluded.push({ column: c, reason: 'identifier-like', detail: `${p.distinct} distinct of ${p.nonMissing} values` });
      continue;
    }
    features.push(c);
  }
  if (features.length === 0) {
    throw new InvalidInputError(`no feature columns left (excluded: ${excluded.map((e) => `${e.column} (${e.reason})`).join(', ') || 'none'}); ` +
      `name them with --features`);
  }
  return { features, excluded };
}
