// Start-up cost of the WebAssembly kernels, the measurement behind docs/decisions.md "Readable
// kernels": for each kernel at a production shape, the typed builder (build + validate +
// encode) against WebAssembly text assembled by wabt (parse + encode; its one-off
// initialisation apart), and V8's compile of the resulting bytes (the same for both).
// Usage: npm run bench -- kernels
import wabtInit from 'wabt';
import { report, median, type Row } from './lib.ts';
import { toWat, type ModuleBuilder } from '../src/util/wasm.ts';
import { assignKernel, boundedKernel, seedKernel } from '../src/ml/cluster/wasm-assign.ts';
import { pairwiseKernel } from '../src/ml/cluster/pairwise.ts';
import { alsKernel } from '../src/ml/recsys/als-wasm.ts';
import { dotKernel } from '../src/serving/kernels/dot-f32.ts';
import { topkKernel } from '../src/serving/kernels/topk-i8.ts';
import { histKernel } from '../src/ml/tree/shard-wasm.ts';
import { tsneKernel } from '../src/ml/decomposition/tsne-wasm.ts';

const t0 = performance.now();
const wabt = await wabtInit();
const wabtInitMs = performance.now() - t0;

const kernels: [string, () => ModuleBuilder][] = [
  ['k-means E-step d=8 k=16', () => assignKernel(8, 16)],
  ['k-means bounded d=8 k=16', () => boundedKernel(8, 16)],
  ['k-means seeding d=8 m=4', () => seedKernel(8, 4)],
  ['pairwise distances d=12', () => pairwiseKernel(12)],
  ['ALS f=64 float32', () => alsKernel(64, 'float32')],
  ['boosting histogram 27 columns', () => histKernel(64, { rowsAt: 0, binsAt: 1 << 20, gAt: 2 << 20, hAt: 3 << 20, nCols: 27 },
    Int32Array.from({ length: 27 }, (_, c) => c * 64), 0, 27, 3, true)],
  ['t-SNE', () => tsneKernel()],
  ['top-k int8 steps=8', () => topkKernel(8)],
  ['float32 dot', () => dotKernel()],
];

const time = (reps: number, fn: () => void): number => {
  const xs: number[] = [];
  for (let r = 0; r < reps; r++) { const t = performance.now(); fn(); xs.push(performance.now() - t); }
  return median(xs);
};

const rows: Row[] = [];
for (const [name, build] of kernels) {
  const m = build(), bytes = m.bytes(), text = toWat(m);
  // alternate the two sides, so the shared machine's load hits both
  const builderMs: number[] = [], wabtMs: number[] = [];
  for (let r = 0; r < 7; r++) {
    builderMs.push(time(1, () => build().bytes()));
    wabtMs.push(time(1, () => { const p = wabt.parseWat('k.wat', text, { simd: true, threads: true }); p.toBinary({}); p.destroy(); }));
  }
  const compileMs = time(5, () => new WebAssembly.Module(bytes));
  const b = median(builderMs), w = median(wabtMs);
  rows.push({
    name,
    bytes: bytes.length,
    wat_lines: text.split('\n').length,
    builder_ms: b,
    wabt_ms: w,
    v8_compile_ms: compileMs,
    wabt_over_builder: `${(w / b).toFixed(1)}x`,
  });
}
rows.push({ name: 'wabt initialisation (once per process, each worker thread too)', wabt_ms: wabtInitMs });
report('kernel start-up: typed builder vs WebAssembly text through wabt (median of 7 alternating)', rows);
