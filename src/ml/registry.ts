// The one estimator factory: every estimator of the ML core by its `kind`, recommenders and t-SNE
// included. createEstimator() builds a fresh one from parameters (the CLI, hyper-parameter
// search workers, the analytics' models); loadEstimator() turns any toJSON() output back into a
// live object (the registry of models, serving). Both are typed by kind: createEstimator('Ridge',
// {...}) is a Ridge and its parameters are Ridge's; loadEstimator(json, 'Pipeline') is a Pipeline
// or an error naming the kind it found. A kind only known at run time gives the AnyEstimator
// union, which the role guards below (isMatrixModel, isRecommender) narrow without casts.
// Every estimator answers getParams()/setParams() (core/estimator.ts's BaseEstimator), so
// createEstimator(e.kind, e.getParams()) builds an equal unfitted estimator.
//
// Pipeline is built from its parts (an encoder and a model), not from parameters, so it is
// loadable but not constructible here; it receives this module's loader for its model, which is
// why pipeline.ts does not import this file (no import cycle).
import { InvalidInputError, InvalidParameterError } from './core/errors.ts';
import type { SerializedEstimator } from './core/estimator.ts';
import type { Matrix } from './core/matrix.ts';
import type { OnnxExportable } from './core/onnx-spec.ts';
import { LinearRegression, Ridge, Lasso, LogisticRegression } from './linear/index.ts';
import { StandardScaler, MinMaxScaler, SimpleImputer, OneHotEncoder, ColumnTransformer } from './preprocessing/index.ts';
import { KMeans, MiniBatchKMeans, DBSCAN } from './cluster/index.ts';
import { PCA, TSNE } from './decomposition/index.ts';
import { Pipeline, type PipelineModel } from './pipeline/pipeline.ts';
import {
  DecisionTreeRegressor, DecisionTreeClassifier, RandomForestRegressor, RandomForestClassifier,
  GradientBoostingRegressor, GradientBoostingClassifier,
} from './tree/index.ts';
import { ImplicitAls } from './recsys/als.ts';
import { Ease } from './recsys/ease.ts';
import { ItemKnn } from './recsys/item-knn.ts';
import { Popularity } from './recsys/popularity.ts';
import type { Recommender, SerializedRecommender } from './recsys/recommender.ts';

/** Every constructible estimator class by its kind (the `kind` its instances report and serialise). */
const CONSTRUCTORS = {
  LinearRegression, Ridge, Lasso, LogisticRegression,
  StandardScaler, MinMaxScaler, SimpleImputer, OneHotEncoder, ColumnTransformer,
  KMeans, MiniBatchKMeans, DBSCAN,
  PCA, TSNE,
  DecisionTreeRegressor, DecisionTreeClassifier, RandomForestRegressor, RandomForestClassifier,
  GradientBoostingRegressor, GradientBoostingClassifier,
  als: ImplicitAls, ease: Ease, 'item-knn': ItemKnn, popularity: Popularity,
} as const;

type Constructors = typeof CONSTRUCTORS;
/** A kind createEstimator can build from parameters. */
export type EstimatorKind = keyof Constructors;
/** A kind loadEstimator can restore: every constructible kind and Pipeline. */
export type LoadableKind = EstimatorKind | 'Pipeline';
export type EstimatorOf<K extends LoadableKind> = K extends EstimatorKind ? InstanceType<Constructors[K]> : Pipeline;
/** The constructor parameters of a kind (each defaults what it leaves out). */
export type ParamsOf<K extends EstimatorKind> = NonNullable<ConstructorParameters<Constructors[K]>[0]>;
export type AnyEstimator = EstimatorOf<LoadableKind>;

export const RECOMMENDER_KINDS = ['als', 'ease', 'item-knn', 'popularity'] as const satisfies readonly EstimatorKind[];
export type RecommenderKind = (typeof RECOMMENDER_KINDS)[number];

/** The kinds with a fromJSON: the constructible classes, whose static fromJSON restores their own kind, and Pipeline. */
const LOADERS: { [K in LoadableKind]: (json: SerializedEstimator) => EstimatorOf<K> } = {
  ...(Object.fromEntries(Object.entries(CONSTRUCTORS).map(([k, c]) => [k, (j: SerializedEstimator) => c.fromJSON(j as never)])) as {
    [K in EstimatorKind]: (json: SerializedEstimator) => EstimatorOf<K>
  }),
  Pipeline: (j) => Pipeline.fromJSON(j, loadPipelineModel),
};

export function estimatorKinds(): LoadableKind[] { return Object.keys(LOADERS) as LoadableKind[]; }
export function constructibleKinds(): EstimatorKind[] { return Object.keys(CONSTRUCTORS) as EstimatorKind[]; }

export function isEstimatorKind(kind: unknown): kind is EstimatorKind { return typeof kind === 'string' && Object.hasOwn(CONSTRUCTORS, kind); }
export function isLoadableKind(kind: unknown): kind is LoadableKind { return typeof kind === 'string' && Object.hasOwn(LOADERS, kind); }

/** A new, unfitted estimator of the given kind (parameters validated by its constructor: unknown names and bad values throw). */
export function createEstimator<const K extends EstimatorKind>(kind: K, params?: ParamsOf<NoInfer<K>>): EstimatorOf<K> {
  return createByName(kind, params as Record<string, unknown> | undefined) as EstimatorOf<K>;
}

/**
 * The same for a kind named at run time (a CLI flag, a search worker's message): checked here,
 * and the result is the union of every kind (narrow it with the role guards below).
 */
export function createByName(kind: string, params: Record<string, unknown> = {}): EstimatorOf<EstimatorKind> {
  if (!isEstimatorKind(kind)) {
    throw new InvalidParameterError(`createEstimator: unknown or non-constructible kind "${kind}" (known: ${constructibleKinds().join(', ')})`);
  }
  const Ctor = CONSTRUCTORS[kind] as new (p: Record<string, unknown>) => EstimatorOf<EstimatorKind>;
  return new Ctor(params);
}

/**
 * Rebuilds an estimator (fitted or not) from its toJSON() output. With `expected`, anything of
 * another kind is refused (so the result has that kind's type).
 */
export function loadEstimator<K extends LoadableKind>(json: unknown, expected: K): EstimatorOf<K>;
export function loadEstimator(json: unknown): AnyEstimator;
export function loadEstimator(json: unknown, expected?: LoadableKind): AnyEstimator {
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (!json || typeof json !== 'object' || typeof kind !== 'string') throw new InvalidInputError('loadEstimator: expected an object with a string "kind"');
  if (expected !== undefined && kind !== expected) throw new InvalidInputError(`loadEstimator: expected a serialised ${expected}, got kind "${kind}"`);
  if (!isLoadableKind(kind)) throw new InvalidInputError(`loadEstimator: unknown kind "${kind}" (known: ${estimatorKinds().join(', ')})`);
  return LOADERS[kind](json as SerializedEstimator);
}

// ---- roles: what a loaded estimator can do, checked at run time ----

/** Regressors and classifiers: fitted on (X, y) matrices, one number per row (a value or a class index). */
export type SupervisedModel = Extract<AnyEstimator, { fit(X: Matrix, y: Float64Array): unknown; predict(X: Matrix): Float64Array }>;
/** Anything that predicts one number per matrix row: the supervised models and k-means (a cluster per row). */
export type MatrixPredictor = SupervisedModel | KMeans | MiniBatchKMeans;
export type OnnxExportableModel = Extract<AnyEstimator, OnnxExportable>;
export type RecommenderModel = EstimatorOf<RecommenderKind>;

const SUPERVISED = new Set<string>([
  'LinearRegression', 'Ridge', 'Lasso', 'LogisticRegression',
  'DecisionTreeRegressor', 'DecisionTreeClassifier', 'RandomForestRegressor', 'RandomForestClassifier',
  'GradientBoostingRegressor', 'GradientBoostingClassifier',
] satisfies EstimatorKind[]);

export function isSupervised(e: AnyEstimator): e is SupervisedModel { return SUPERVISED.has(e.kind); }
export function isMatrixPredictor(e: AnyEstimator): e is MatrixPredictor { return isSupervised(e) || e.kind === 'KMeans' || e.kind === 'MiniBatchKMeans'; }
export function isRecommender(e: AnyEstimator): e is RecommenderModel { return (RECOMMENDER_KINDS as readonly string[]).includes(e.kind); }
export function hasOnnxForm(e: AnyEstimator): e is OnnxExportableModel { return typeof (e as Partial<OnnxExportable>).toOnnxSpec === 'function'; }

/** A new regressor or classifier of a kind named at run time (search, cross-validation), or an error naming the kind. */
export function createSupervised(kind: string, params: Record<string, unknown> = {}): SupervisedModel {
  const e = createByName(kind, params);
  if (!isSupervised(e)) throw new InvalidParameterError(`${kind} is not a regressor or classifier (known: ${[...SUPERVISED].join(', ')})`);
  return e;
}

/** A serialised regressor or classifier (what serving and the trainers load), or an error naming what it is instead. */
export function loadSupervised(json: unknown): SupervisedModel {
  const e = loadEstimator(json);
  if (!isSupervised(e)) throw new InvalidInputError(`expected a regressor or classifier, got a ${e.kind}`);
  return e;
}

/** A serialised model that predicts from a matrix (a regressor, classifier or k-means), or an error naming what it is instead. */
export function loadMatrixPredictor(json: unknown): MatrixPredictor {
  const e = loadEstimator(json);
  if (!isMatrixPredictor(e)) throw new InvalidInputError(`expected a model that predicts from a feature matrix, got a ${e.kind}`);
  return e;
}

/** The model inside a serialised Pipeline: a regressor or classifier. */
function loadPipelineModel(json: SerializedEstimator): PipelineModel {
  const e = loadEstimator(json);
  if (!isSupervised(e)) throw new InvalidInputError(`Pipeline.fromJSON: a ${e.kind} cannot be a pipeline's model`);
  return e;
}

/** A new recommender of the given kind. */
export function createRecommender(kind: string, params: Record<string, unknown> = {}): RecommenderModel {
  if (!(RECOMMENDER_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidParameterError(`unknown recommender "${kind}" (known: ${RECOMMENDER_KINDS.join(', ')})`);
  }
  const e = createByName(kind, params);
  if (!isRecommender(e)) throw new InvalidParameterError(`unknown recommender "${kind}"`);
  return e;
}

/** A saved recommender, or an error naming the kind found. */
export function recommenderFromJSON(json: SerializedRecommender<any>): Recommender<any> & RecommenderModel {
  const kind = json?.kind;
  if (!(RECOMMENDER_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError(`unknown recommender kind ${JSON.stringify(kind)} in serialised model`);
  }
  return loadEstimator(json as unknown as SerializedEstimator) as RecommenderModel;
}
