// Every serialisable estimator by its `kind`: loadEstimator() turns any toJSON() output back into
// a live object, createEstimator() builds a fresh one from parameters (hyper-parameter search
// workers, the CLI). The table is built on first use because Pipeline.fromJSON calls back in here.
import { InvalidInputError } from './core/errors.ts';
import type { Estimator, SerializedEstimator } from './core/estimator.ts';
import { LinearRegression, Ridge, Lasso, LogisticRegression } from './linear/index.ts';
import { StandardScaler, MinMaxScaler, SimpleImputer, OneHotEncoder, ColumnTransformer } from './preprocessing/index.ts';
import { KMeans, MiniBatchKMeans, DBSCAN } from './cluster/index.ts';
import { PCA } from './decomposition/index.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import {
  DecisionTreeRegressor, DecisionTreeClassifier, RandomForestRegressor, RandomForestClassifier,
  GradientBoostingRegressor, GradientBoostingClassifier,
} from './tree/index.ts';

interface Entry { fromJSON(json: SerializedEstimator): unknown; create?(params: Record<string, unknown>): Estimator }

let table: Map<string, Entry> | null = null;

function entries(): Map<string, Entry> {
  if (table) return table;
  const cls = (c: { fromJSON(j: any): unknown; new (p?: any): any }): Entry => ({ fromJSON: (j) => c.fromJSON(j), create: (p) => new c(p) });
  table = new Map<string, Entry>([
    ['LinearRegression', cls(LinearRegression)],
    ['Ridge', cls(Ridge)],
    ['Lasso', cls(Lasso)],
    ['LogisticRegression', cls(LogisticRegression)],
    ['StandardScaler', cls(StandardScaler)],
    ['MinMaxScaler', cls(MinMaxScaler)],
    ['SimpleImputer', cls(SimpleImputer)],
    ['OneHotEncoder', cls(OneHotEncoder)],
    ['ColumnTransformer', cls(ColumnTransformer)],
    ['KMeans', cls(KMeans)],
    ['MiniBatchKMeans', cls(MiniBatchKMeans)],
    ['DBSCAN', cls(DBSCAN)],
    ['PCA', cls(PCA)],
    ['DecisionTreeRegressor', cls(DecisionTreeRegressor)],
    ['DecisionTreeClassifier', cls(DecisionTreeClassifier)],
    ['RandomForestRegressor', cls(RandomForestRegressor)],
    ['RandomForestClassifier', cls(RandomForestClassifier)],
    ['GradientBoostingRegressor', cls(GradientBoostingRegressor)],
    ['GradientBoostingClassifier', cls(GradientBoostingClassifier)],
    ['Pipeline', { fromJSON: (j) => Pipeline.fromJSON(j) }],
  ]);
  return table;
}

export function estimatorKinds(): string[] { return [...entries().keys()]; }

/** Rebuilds an estimator (fitted or not) from its toJSON() output. */
export function loadEstimator(json: SerializedEstimator): any {
  if (!json || typeof json !== 'object' || typeof json.kind !== 'string') throw new InvalidInputError('loadEstimator: expected an object with a string "kind"');
  const e = entries().get(json.kind);
  if (!e) throw new InvalidInputError(`loadEstimator: unknown kind "${json.kind}" (known: ${estimatorKinds().join(', ')})`);
  return e.fromJSON(json);
}

/** A new, unfitted estimator of the given kind (parameters validated by its constructor). */
export function createEstimator(kind: string, params: Record<string, unknown> = {}): any {
  const e = entries().get(kind);
  if (!e?.create) throw new InvalidInputError(`createEstimator: unknown or non-constructible kind "${kind}" (known: ${estimatorKinds().filter((k) => entries().get(k)!.create).join(', ')})`);
  return e.create(params);
}
