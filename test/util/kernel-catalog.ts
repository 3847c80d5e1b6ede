// Every WebAssembly kernel of the code base, each at one small representative shape: the golden
// text dumps (test/fixtures/wat/NAME.wat) and the kernel tests walk this list.
import type { ModuleBuilder } from '../../src/util/wasm.ts';
import { dotKernel } from '../../src/serving/kernels/dot-f32.ts';
import { topkKernel } from '../../src/serving/kernels/topk-i8.ts';
import { spdKernel44 } from '../../src/ml/recsys/spd-wasm.ts';
import { alsKernel } from '../../src/ml/recsys/als-wasm.ts';
import { walkKernel } from '../../src/ml/tree/wasm-walk.ts';
import { histKernel, partitionKernel, vectorKernel } from '../../src/ml/tree/shard-wasm.ts';
import { tsneKernel } from '../../src/ml/decomposition/tsne-wasm.ts';
import { assignKernel, boundedKernel, seedKernel } from '../../src/ml/cluster/wasm-assign.ts';
import { pairwiseKernel } from '../../src/ml/cluster/pairwise.ts';

export const KERNELS: [file: string, build: () => ModuleBuilder][] = [
  ['serving-dot-f32', () => dotKernel()],
  ['serving-topk-i8-steps2', () => topkKernel(2)],
  ['recsys-spd-dot44', () => spdKernel44()],
  ['recsys-als-float32-f8', () => alsKernel(8, 'float32')],
  ['recsys-als-float64-f4', () => alsKernel(4, 'float64')],
  ['tree-walk', () => walkKernel({ codes: 1024, roots: 2048, out: 4096, nGroups: 2, pages: 1, FM: 7, DS: 11 })],
  ['tree-shard-partition', () => partitionKernel(1)],
  ['tree-shard-histogram-3cols', () => histKernel(1, { rowsAt: 64, binsAt: 1024, gAt: 2048, hAt: 4096, nCols: 3 }, Int32Array.from([0, 4, 9]), 0, 3, 3, true)],
  ['tree-shard-vector', () => vectorKernel(1)],
  ['tsne', () => tsneKernel()],
  ['kmeans-assign-d3-k5', () => assignKernel(3, 5)],
  ['kmeans-bounded-d3-k5', () => boundedKernel(3, 5)],
  ['kmeans-seed-d3-m3', () => seedKernel(3, 3)],
  ['pairwise-d3', () => pairwiseKernel(3)],
];
