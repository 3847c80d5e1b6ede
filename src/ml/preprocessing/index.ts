export { StandardScaler } from './standard-scaler.ts';
export { MinMaxScaler } from './minmax-scaler.ts';
export { SimpleImputer, type ImputeStrategy } from './simple-imputer.ts';
export { OneHotEncoder } from './one-hot-encoder.ts';
export { ColumnTransformer, defaultEncoder, detectColumns, type ColumnTransformerParams } from './column-transformer.ts';
