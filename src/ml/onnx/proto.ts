// ONNX model structures (the subset export needs) and their protobuf encoding. Field numbers and
// enum values are those of onnx/onnx-ml.proto (IR version 8).
import { ProtoWriter } from './protobuf.ts';

/** TensorProto.DataType values used here */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, STRING: 8, DOUBLE: 11 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface Tensor {
  name: string;
  dims: number[];
  /** FLOAT takes Float32Array, INT64 BigInt64Array, DOUBLE Float64Array, STRING string[] */
  dataType: DataTypeId;
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | string[];
}

export type Attribute =
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'floats'; value: ArrayLike<number> }
  | { name: string; kind: 'ints'; value: ArrayLike<number> }
  | { name: string; kind: 'strings'; value: readonly string[] }
  | { name: string; kind: 'tensor'; value: Tensor };

export interface Node {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
}

/** a dimension is a fixed size or a symbolic name such as 'N' */
export interface ValueInfo {
  name: string;
  elemType: DataTypeId;
  shape: (number | string)[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** types of intermediate values: needed after ai.onnx.ml ops, which have no shape inference in onnx */
  valueInfo: ValueInfo[];
  docString?: string;
}

export interface Model {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  modelVersion?: number;
  docString?: string;
  metadata?: Record<string, string>;
  graph: Graph;
}

function writeTensor(w: ProtoWriter, t: Tensor): void {
  w.repeatedInt(1, t.dims); // dims
  w.int(2, t.dataType); // data_type
  w.string(8, t.name); // name
  if (t.dataType === DataType.STRING) {
    const strings = t.data as string[];
    for (const s of strings) w.string(6, s); // string_data
    return;
  }
  const typed = t.data as Float32Array | Float64Array | BigInt64Array | Int32Array;
  // raw_data is little-endian by definition; copy so a subarray view never leaks extra bytes
  const raw = new Uint8Array(typed.byteLength);
  const view = new DataView(raw.buffer);
  const n = typed.length;
  if (t.dataType === DataType.FLOAT) for (let i = 0; i < n; i++) view.setFloat32(i * 4, (typed as Float32Array)[i]!, true);
  else if (t.dataType === DataType.DOUBLE) for (let i = 0; i < n; i++) view.setFloat64(i * 8, (typed as Float64Array)[i]!, true);
  else if (t.dataType === DataType.INT64) for (let i = 0; i < n; i++) view.setBigInt64(i * 8, (typed as BigInt64Array)[i]!, true);
  else if (t.dataType === DataType.INT32) for (let i = 0; i < n; i++) view.setInt32(i * 4, (typed as Int32Array)[i]!, true);
  w.bytes(9, raw); // raw_data
}

function writeAttribute(w: ProtoWriter, a: Attribute): void {
  w.string(1, a.name);
  switch (a.kind) {
    case 'float': w.float(2, a.value).int(20, AttrType.FLOAT); break;
    case 'int': w.int(3, a.value).int(20, AttrType.INT); break;
    case 'string': w.string(4, a.value).int(20, AttrType.STRING); break;
    case 'tensor': w.message(5, (m) => writeTensor(m, a.value)).int(20, AttrType.TENSOR); break;
    case 'floats': w.repeatedFloat(7, a.value).int(20, AttrType.FLOATS); break;
    case 'ints': w.repeatedInt(8, a.value).int(20, AttrType.INTS); break;
    case 'strings': w.repeatedString(9, a.value).int(20, AttrType.STRINGS); break;
  }
}

function writeNode(w: ProtoWriter, n: Node): void {
  w.repeatedString(1, n.inputs);
  w.repeatedString(2, n.outputs);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.message(5, (m) => writeAttribute(m, a));
  if (n.domain) w.string(7, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) => // TypeProto
    type.message(1, (tensor) => { // TypeProto.Tensor
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => { // TensorShapeProto
        for (const d of v.shape) {
          shape.message(1, (dim) => {
            if (typeof d === 'number') dim.int(1, d); // dim_value
            else dim.string(2, d); // dim_param
          });
        }
      });
    }));
}

function writeGraph(w: ProtoWriter, g: Graph): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
  for (const v of g.valueInfo) w.message(13, (m) => writeValueInfo(m, v));
}

export function encodeModel(model: Model): Uint8Array {
  const w = new ProtoWriter(1 << 16);
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  if (model.modelVersion !== undefined) w.int(5, model.modelVersion);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (m) => writeGraph(m, model.graph));
  for (const o of model.opsets) {
    w.message(8, (m) => {
      m.string(1, o.domain);
      m.int(2, o.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (m) => m.string(1, key).string(2, value));
  }
  return w.finish();
}
