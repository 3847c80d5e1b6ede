// The stream trainer's fit thread. Everything a refit costs runs here: growing the forest,
// scoring it and the champion on the holdout, serialising the new version, writing its artifact
// (an fsync) and recording it in the registry (a metadata transaction), and promoting it when it
// passes the gate. The service's event loop, which answers prediction requests, only swaps in
// the promoted model: a fit no longer stalls the answers queued behind it (measured in
// bench/stream.bench.ts: those stalls made the prediction p99).
// The thread opens its own connection to the metadata database and keeps the champion it gates
// against, so a fit request carries only the window's two columns (transferred, not copied).
import { parentPort } from 'node:worker_threads';
import { fitWindow } from '../../analytics/stream/trainer.ts';
import { loadEstimator } from '../../ml/registry.ts';
import { openMetaStore, type MetaStore } from '../../metadata/db.ts';
import { ModelRegistry } from '../../tracking/index.ts';

export interface TrainerThreadInit { kind: 'init'; home: string; databaseUrl?: string; model: string }
export interface TrainerThreadFit {
  kind: 'fit';
  id: number;
  age: Float64Array;
  income: Float64Array;
  trees: number;
  maxDepth: number;
  seed: number;
  window: number;
}
export interface TrainerThreadReply {
  id: number;
  error?: string;
  version?: number;
  rows?: number;
  rmse?: number;
  championRmse?: number | null;
  promoted?: boolean;
  /** the promoted model's JSON (absent when the gate kept the champion) */
  model?: unknown;
}

type Predictor = { predict(frame: { length: number; columns: Map<string, Float64Array> }): Float64Array };

let store: MetaStore | undefined;
let registry: ModelRegistry | undefined;
let modelName = '';
let champion: Predictor | undefined;

async function init(msg: TrainerThreadInit): Promise<void> {
  store = await openMetaStore({ home: msg.home, databaseUrl: msg.databaseUrl });
  registry = new ModelRegistry(store, { home: msg.home });
  modelName = msg.model;
  champion = await registry.loadModel(modelName, 'champion').then((m) => loadEstimator(m.artifact, 'Pipeline'), () => undefined);
}

async function fit(msg: TrainerThreadFit): Promise<TrainerThreadReply> {
  const f = fitWindow(msg.age, msg.income, msg, champion);
  const json = f.model.toJSON();
  const v = await registry!.registerModel(modelName, {
    artifact: JSON.stringify(json), by: 'stream-trainer',
    metrics: { rmse: f.rmse, ...(f.championRmse !== null ? { champion_rmse: f.championRmse } : {}), rows: f.rows },
    params: { window: msg.window, trees: msg.trees, max_depth: msg.maxDepth },
    lineage: { seed: msg.seed, config: { window: msg.window, trees: msg.trees, maxDepth: msg.maxDepth } },
  });
  if (f.promote) {
    await registry!.promote(modelName, v.version, {
      by: 'stream-trainer',
      reason: `holdout RMSE ${f.rmse.toFixed(1)}${f.championRmse !== null ? ` vs champion ${f.championRmse.toFixed(1)}` : ''}`,
    });
  }
  if (f.promote) champion = f.model as unknown as Predictor;
  return {
    id: msg.id,
    version: v.version,
    rows: f.rows,
    rmse: f.rmse,
    championRmse: f.championRmse,
    promoted: f.promote,
    ...(f.promote ? { model: json } : {}),
  };
}

// one message at a time, in order: a fit never overlaps the init or another fit
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: TrainerThreadInit | TrainerThreadFit | { kind: 'close' }) => {
  queue = queue.then(async () => {
    if (msg.kind === 'init') {
      try { await init(msg); parentPort!.postMessage({ id: 0 }); } catch (e) { parentPort!.postMessage({ id: 0, error: (e as Error).message }); }
    } else if (msg.kind === 'fit') {
      try { parentPort!.postMessage(await fit(msg)); } catch (e) { parentPort!.postMessage({ id: msg.id, error: (e as Error).message }); }
    } else {
      await store?.close();
      parentPort!.postMessage({ id: -1 });
    }
  });
});
