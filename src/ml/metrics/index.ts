export { mse, rmse, mae, r2, mape } from './regression.ts';
export { accuracy, logLoss, rocAuc, rocAucBinary } from './classification.ts';
export { silhouette, daviesBouldin, calinskiHarabasz, filterNoise } from './clustering.ts';
