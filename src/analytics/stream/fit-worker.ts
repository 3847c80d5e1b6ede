// The trainer's fits run here, on a thread of their own, so the service's event loop keeps
// answering predictions while a forest grows (a forest's fit() is synchronous by contract).
import { parentPort } from 'node:worker_threads';
import { loadEstimator } from '../../ml/registry.ts';
import { fitWindow } from './trainer.ts';

parentPort!.on('message', (msg: { id: number; age: Float64Array; income: Float64Array; trees: number; maxDepth: number; seed: number; champion: unknown }) => {
  try {
    const champion = msg.champion ? loadEstimator(msg.champion as never) : undefined;
    const f = fitWindow(msg.age, msg.income, msg, champion);
    parentPort!.postMessage({ id: msg.id, model: f.model.toJSON(), rows: f.rows, rmse: f.rmse, championRmse: f.championRmse, promote: f.promote });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
