export { KMeans, type KMeansParams } from './kmeans.ts';
export { MiniBatchKMeans, type MiniBatchKMeansParams } from './minibatch-kmeans.ts';
export { DBSCAN, kDistance, kneeIndex, type DbscanParams } from './dbscan.ts';
export { KdTree } from './kdtree.ts';
export { DistanceMatrix } from './pairwise.ts';
export { warmLloydPool } from './lloyd-pool.ts';
