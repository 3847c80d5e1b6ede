export { PCA, type PCAParams } from './pca.ts';
export { TSNE, type TSNEParams, type TSNEResult } from './tsne.ts';
