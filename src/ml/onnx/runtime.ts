// Runs an exported model with onnxruntime-node on a Frame or plain records, returning the same
// shape of result as the reference evaluator. Serving keeps one OnnxSession per model; runOnnx
// is the one-shot form for tests and the CLI.
import * as ort from 'onnxruntime-node';
import type { Matrix } from '../core/matrix.ts';
import { InvalidInputError } from '../core/errors.ts';
import { readColumns, type InputKind, type ModelInput, type OnnxPrediction } from './inputs.ts';

export interface OnnxSessionOptions {
  /** threads per run inside onnxruntime (defaults to onnxruntime's choice) */
  intraOpThreads?: number;
}

function toFloat64(t: ort.Tensor): Float64Array {
  const d = t.data;
  if (d instanceof BigInt64Array) return Float64Array.from(d, (v) => Number(v));
  if (d instanceof Float32Array || d instanceof Float64Array || d instanceof Int32Array) return Float64Array.from(d);
  throw new Error(`unexpected ${t.type} output from the ONNX model`);
}

function toMatrix(t: ort.Tensor): Matrix {
  const rows = Number(t.dims[0] ?? 0);
  const cols = Number(t.dims[1] ?? 1);
  return { rows, cols, data: toFloat64(t) };
}

export class OnnxSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** graph inputs as model columns: float inputs are numeric, string ones categorical */
    readonly inputs: { name: string; kind: InputKind }[],
  ) {}

  static async create(bytes: Uint8Array, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
    const session = await ort.InferenceSession.create(bytes, {
      ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    });
    const inputs = session.inputMetadata.map((m) => {
      const type = m.isTensor ? m.type : 'non-tensor';
      if (type === 'float32') return { name: m.name, kind: 'numeric' as const };
      if (type === 'string') return { name: m.name, kind: 'categorical' as const };
      throw new InvalidInputError(`ONNX input '${m.name}' has type ${type}; only float32 and string inputs are supported`);
    });
    return new OnnxSession(session, inputs);
  }

  /**
   * Missing numeric values go in as NaN (the graph's Imputer fills them); missing categorical
   * values go in as '' , which encodes as all zeros unless '' is itself a category.
   */
  async run(input: ModelInput): Promise<OnnxPrediction> {
    const cols = readColumns(this.inputs, input);
    const n = cols.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const { name, kind } of this.inputs) {
      feeds[name] = kind === 'numeric'
        ? new ort.Tensor('float32', Float32Array.from(cols.numeric.get(name)!), [n, 1])
        : new ort.Tensor('string', cols.categorical.get(name)!.map((v) => v ?? ''), [n, 1]);
    }
    const out = await this.session.run(feeds);
    const pred = out['prediction'] as ort.Tensor | undefined;
    if (!pred) throw new Error("the ONNX model has no 'prediction' output");
    const result: OnnxPrediction = {
      prediction: toFloat64(pred),
      predictionCols: pred.dims.length > 1 ? Number(pred.dims[1]) : 1,
    };
    if (out['probabilities']) result.probabilities = toMatrix(out['probabilities'] as ort.Tensor);
    if (out['distances']) result.distances = toMatrix(out['distances'] as ort.Tensor);
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export async function runOnnx(bytes: Uint8Array, input: ModelInput, opts: OnnxSessionOptions = {}): Promise<OnnxPrediction> {
  const session = await OnnxSession.create(bytes, opts);
  try {
    return await session.run(input);
  } finally {
    await session.release();
  }
}
