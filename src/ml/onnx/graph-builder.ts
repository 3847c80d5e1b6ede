// Collects nodes, constants and graph inputs/outputs with unique internal value names.
import { DataType, type Attribute, type Graph, type Node, type Tensor, type ValueInfo } from './proto.ts';

export const ML_DOMAIN = 'ai.onnx.ml';

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers: Tensor[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly valueInfo: ValueInfo[] = [];
  private counter = 0;

  /** internal names start with '__', which validateSpec refuses for input names */
  fresh(hint: string): string {
    return `__${hint}_${this.counter++}`;
  }

  input(v: ValueInfo): string {
    this.inputs.push(v);
    return v.name;
  }

  output(v: ValueInfo): void {
    this.outputs.push(v);
  }

  /** Adds a node; returns its output names (fresh ones unless `outputs` names them). */
  node(opType: string, inputs: string[], attributes: Attribute[] = [], opts: { domain?: string; outputs?: string[] | number } = {}): string[] {
    const outputs = Array.isArray(opts.outputs)
      ? opts.outputs
      : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, domain: opts.domain ?? '', name: this.fresh(`node_${opType}`), inputs, outputs, attributes });
    return outputs;
  }

  /**
   * A one-output node; `output` names its result when it is a graph output; `type` records the
   * result's type and shape as value_info (for ops onnx cannot infer shapes of).
   */
  op(
    opType: string,
    inputs: string[],
    attributes: Attribute[] = [],
    opts: { domain?: string; output?: string; type?: Omit<ValueInfo, 'name'> } = {},
  ): string {
    const out = this.node(opType, inputs, attributes, { domain: opts.domain, outputs: opts.output ? [opts.output] : 1 })[0]!;
    if (opts.type) this.valueInfo.push({ name: out, ...opts.type });
    return out;
  }

  constInt64(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('const');
    this.initializers.push({ name, dims, dataType: DataType.INT64, data: BigInt64Array.from(values, (v) => BigInt(v)) });
    return name;
  }

  constFloat(values: ArrayLike<number>, dims: number[]): string {
    const name = this.fresh('const');
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, data: Float32Array.from(values) });
    return name;
  }

  build(name: string, docString?: string): Graph {
    return {
      name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs,
      valueInfo: this.valueInfo, docString,
    };
  }
}

export const attr = {
  f: (name: string, value: number): Attribute => ({ name, kind: 'float', value }),
  i: (name: string, value: number): Attribute => ({ name, kind: 'int', value }),
  s: (name: string, value: string): Attribute => ({ name, kind: 'string', value }),
  floats: (name: string, value: ArrayLike<number>): Attribute => ({ name, kind: 'floats', value }),
  ints: (name: string, value: ArrayLike<number>): Attribute => ({ name, kind: 'ints', value }),
  strings: (name: string, value: readonly string[]): Attribute => ({ name, kind: 'strings', value }),
};
