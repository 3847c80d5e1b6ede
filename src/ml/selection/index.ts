export { trainTestSplit, KFold, StratifiedKFold, TimeSeriesSplit, type Split } from './splits.ts';
export { crossValidate, type CvResult } from './cross-validate.ts';
export { gridSearch, randomSearch, parameterGrid, parameterSample, type SearchResult, type Trial, type Distribution } from './search.ts';
export { getScorer, SCORERS, type Scorer } from './scoring.ts';
