// The few pieces of the WebAssembly binary format that our generated kernels are written with
// (k-means E-step, ALS solver, forest walk, factor scoring): LEB128 integers, vectors, names and
// sections. Each kernel is generated for its exact shapes, so it is assembled at run time
// rather than shipped as a .wasm file.

const utf8 = new TextEncoder();

/** unsigned LEB128 */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}

/** signed LEB128 (i32.const and i64.const immediates) */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f; n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

/** a vector: its length, then its items */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** a name (import, export): UTF-8 bytes with their length */
export const name = (s: string): number[] => { const b = utf8.encode(s); return [...uleb(b.length), ...b]; };

/** a section: id, byte length, body */
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// ---- instructions the kernels share ----
export const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
export const localGet = (i: number): number[] => [0x20, ...uleb(i)];
export const localSet = (i: number): number[] => [0x21, ...uleb(i)];
export const localTee = (i: number): number[] => [0x22, ...uleb(i)];
export const i32Const = (v: number): number[] => [0x41, ...sleb(v)];
/** a SIMD (0xfd-prefixed) instruction */
export const simdOp = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
/** v128.load with the given alignment exponent (4: 16 bytes) */
export const v128Load = (offset: number, align = 4): number[] => simdOp(0x00, align, ...uleb(offset));

export interface KernelFunction {
  /** the export name */
  name: string;
  /** how many i32 parameters (every kernel takes byte addresses and counts) */
  params: number;
  /** local declarations, [count, type] in order after the parameters */
  locals: [number, number][];
  /** the body's instructions, without the final `end` */
  code: number[];
}

/**
 * A module of functions over one imported memory `env.mem` (min pages; shared ones need a
 * maximum), each exported under its name, each taking i32 parameters and returning nothing.
 */
export function memoryModule(fns: KernelFunction[], memory: { minPages?: number; sharedMaxPages?: number } = {}): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]);
  const min = memory.minPages ?? 1;
  const limits = memory.sharedMaxPages === undefined ? [0x00, ...uleb(min)] : [0x03, ...uleb(min), ...uleb(memory.sharedMaxPages)];
  const bodies = fns.map((f) => { const b = [...vec(f.locals), ...f.code, 0x0b]; return [...uleb(b.length), ...b]; });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, ...limits]])),
    ...section(3, vec(fns.map((_, k) => uleb(k)))),
    ...section(7, vec(fns.map((f, k) => [...name(f.name), 0x00, ...uleb(k)]))),
    ...section(10, vec(bodies)),
  ]);
}
