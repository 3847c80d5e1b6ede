// Tree models: decision trees, random forests and histogram gradient boosting.
export { DecisionTreeRegressor, DecisionTreeClassifier, type DecisionTreeParams } from './decision-tree.ts';
export { RandomForestRegressor, RandomForestClassifier, type ForestParams } from './random-forest.ts';
export {
  GradientBoostingRegressor, GradientBoostingClassifier, type GradientBoostingParams,
} from './gradient-boosting.ts';
export { CompiledEnsemble } from './predict.ts';
export { fitBinEdges, binMatrix, binOf, type BinEdges } from './binning.ts';
