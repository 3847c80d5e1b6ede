// Recommenders by name, for the CLI, evaluation and loading saved models: the recommender view of
// the one estimator factory (src/ml/registry.ts), where they are registered beside every other kind.
export { RECOMMENDER_KINDS, createRecommender, recommenderFromJSON, type RecommenderKind, type RecommenderModel } from '../registry.ts';
