// The one table of WebAssembly opcodes the kernels are written with: each instruction's text
// name (as in the WebAssembly text format), its binary encoding, the kind of immediate it takes
// and its stack signature (what it pops and pushes), which the builder's validator checks.
// Every opcode number in the code base lives here; kernels name instructions by their text name.
// Encodings: the WebAssembly core specification 2.0, sections 5.4 (instructions) and 5.4.8 (SIMD,
// the 0xfd prefix: the sub-opcode follows as an unsigned LEB128).

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

/** value type bytes (spec 5.3.1) */
export const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };
/** the empty block type, a function type's tag, and the module header */
export const BLOCKTYPE_VOID = 0x40;
export const FUNCTYPE = 0x60;
export const MAGIC_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00] as const;
/** section ids (spec 5.5.2) */
export const SECTION = { type: 1, import: 2, function: 3, memory: 5, export: 7, code: 10 } as const;
/** import/export kinds and memory limit flags */
export const EXTERN = { func: 0x00, memory: 0x02 } as const;
export const LIMITS = { min: 0x00, minMax: 0x01, sharedMinMax: 0x03 } as const;

/** What follows an opcode in the binary (and its text form). */
export type Imm =
  | 'none' | 'local' | 'label' | 'block' | 'memarg' | 'lane' | 'memarg-lane'
  | 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'shuffle' | 'func' | 'memidx';

export interface OpInfo {
  /** encoding: the opcode byte, or the prefix and its sub-opcode */
  code: readonly [number] | readonly [number, number];
  imm: Imm;
  /** popped and pushed types; null where the validator works it out (locals, control, select) */
  sig: null | readonly [readonly ValType[], readonly ValType[]];
  /** natural alignment in bytes (memory access) or lane count (lane access) */
  width?: number;
}

const S = (pops: string, pushes: string): readonly [ValType[], ValType[]] =>
  [pops ? (pops.split(' ') as ValType[]) : [], pushes ? (pushes.split(' ') as ValType[]) : []];

const op = (code: number, imm: Imm, sig: OpInfo['sig'], width?: number): OpInfo => ({ code: [code], imm, sig, width });
const simd = (sub: number, imm: Imm, sig: OpInfo['sig'], width?: number): OpInfo => ({ code: [0xfd, sub], imm, sig, width });
const misc = (sub: number, imm: Imm, sig: OpInfo['sig']): OpInfo => ({ code: [0xfc, sub], imm, sig });

export const OPS = {
  // control (spec 5.4.1)
  'unreachable': op(0x00, 'none', S('', '')),
  'nop': op(0x01, 'none', S('', '')),
  'block': op(0x02, 'block', null),
  'loop': op(0x03, 'block', null),
  'if': op(0x04, 'block', null),
  'else': op(0x05, 'none', null),
  'end': op(0x0b, 'none', null),
  'br': op(0x0c, 'label', null),
  'br_if': op(0x0d, 'label', null),
  'return': op(0x0f, 'none', null),
  'call': op(0x10, 'func', null),
  // parametric
  'drop': op(0x1a, 'none', null),
  'select': op(0x1b, 'none', null),
  // variables
  'local.get': op(0x20, 'local', null),
  'local.set': op(0x21, 'local', null),
  'local.tee': op(0x22, 'local', null),
  // memory (natural alignment in bytes)
  'i32.load': op(0x28, 'memarg', S('i32', 'i32'), 4),
  'i64.load': op(0x29, 'memarg', S('i32', 'i64'), 8),
  'f32.load': op(0x2a, 'memarg', S('i32', 'f32'), 4),
  'f64.load': op(0x2b, 'memarg', S('i32', 'f64'), 8),
  'i32.load8_s': op(0x2c, 'memarg', S('i32', 'i32'), 1),
  'i32.load8_u': op(0x2d, 'memarg', S('i32', 'i32'), 1),
  'i32.load16_s': op(0x2e, 'memarg', S('i32', 'i32'), 2),
  'i32.load16_u': op(0x2f, 'memarg', S('i32', 'i32'), 2),
  'i32.store': op(0x36, 'memarg', S('i32 i32', ''), 4),
  'i64.store': op(0x37, 'memarg', S('i32 i64', ''), 8),
  'f32.store': op(0x38, 'memarg', S('i32 f32', ''), 4),
  'f64.store': op(0x39, 'memarg', S('i32 f64', ''), 8),
  'i32.store8': op(0x3a, 'memarg', S('i32 i32', ''), 1),
  'i32.store16': op(0x3b, 'memarg', S('i32 i32', ''), 2),
  'memory.size': op(0x3f, 'memidx', S('', 'i32')),
  'memory.grow': op(0x40, 'memidx', S('i32', 'i32')),
  'memory.fill': misc(0x0b, 'memidx', S('i32 i32 i32', '')),
  // constants
  'i32.const': op(0x41, 'i32', S('', 'i32')),
  'i64.const': op(0x42, 'i64', S('', 'i64')),
  'f32.const': op(0x43, 'f32', S('', 'f32')),
  'f64.const': op(0x44, 'f64', S('', 'f64')),
  // i32 comparisons
  'i32.eqz': op(0x45, 'none', S('i32', 'i32')),
  'i32.eq': op(0x46, 'none', S('i32 i32', 'i32')),
  'i32.ne': op(0x47, 'none', S('i32 i32', 'i32')),
  'i32.lt_s': op(0x48, 'none', S('i32 i32', 'i32')),
  'i32.lt_u': op(0x49, 'none', S('i32 i32', 'i32')),
  'i32.gt_s': op(0x4a, 'none', S('i32 i32', 'i32')),
  'i32.gt_u': op(0x4b, 'none', S('i32 i32', 'i32')),
  'i32.le_s': op(0x4c, 'none', S('i32 i32', 'i32')),
  'i32.le_u': op(0x4d, 'none', S('i32 i32', 'i32')),
  'i32.ge_s': op(0x4e, 'none', S('i32 i32', 'i32')),
  'i32.ge_u': op(0x4f, 'none', S('i32 i32', 'i32')),
  // float comparisons
  'f32.eq': op(0x5b, 'none', S('f32 f32', 'i32')),
  'f32.ne': op(0x5c, 'none', S('f32 f32', 'i32')),
  'f32.lt': op(0x5d, 'none', S('f32 f32', 'i32')),
  'f32.gt': op(0x5e, 'none', S('f32 f32', 'i32')),
  'f32.le': op(0x5f, 'none', S('f32 f32', 'i32')),
  'f32.ge': op(0x60, 'none', S('f32 f32', 'i32')),
  'f64.eq': op(0x61, 'none', S('f64 f64', 'i32')),
  'f64.ne': op(0x62, 'none', S('f64 f64', 'i32')),
  'f64.lt': op(0x63, 'none', S('f64 f64', 'i32')),
  'f64.gt': op(0x64, 'none', S('f64 f64', 'i32')),
  'f64.le': op(0x65, 'none', S('f64 f64', 'i32')),
  'f64.ge': op(0x66, 'none', S('f64 f64', 'i32')),
  // i32 arithmetic
  'i32.add': op(0x6a, 'none', S('i32 i32', 'i32')),
  'i32.sub': op(0x6b, 'none', S('i32 i32', 'i32')),
  'i32.mul': op(0x6c, 'none', S('i32 i32', 'i32')),
  'i32.div_s': op(0x6d, 'none', S('i32 i32', 'i32')),
  'i32.div_u': op(0x6e, 'none', S('i32 i32', 'i32')),
  'i32.and': op(0x71, 'none', S('i32 i32', 'i32')),
  'i32.or': op(0x72, 'none', S('i32 i32', 'i32')),
  'i32.xor': op(0x73, 'none', S('i32 i32', 'i32')),
  'i32.shl': op(0x74, 'none', S('i32 i32', 'i32')),
  'i32.shr_s': op(0x75, 'none', S('i32 i32', 'i32')),
  'i32.shr_u': op(0x76, 'none', S('i32 i32', 'i32')),
  // float arithmetic
  'f32.abs': op(0x8b, 'none', S('f32', 'f32')),
  'f32.neg': op(0x8c, 'none', S('f32', 'f32')),
  'f32.sqrt': op(0x91, 'none', S('f32', 'f32')),
  'f32.add': op(0x92, 'none', S('f32 f32', 'f32')),
  'f32.sub': op(0x93, 'none', S('f32 f32', 'f32')),
  'f32.mul': op(0x94, 'none', S('f32 f32', 'f32')),
  'f32.div': op(0x95, 'none', S('f32 f32', 'f32')),
  'f32.min': op(0x96, 'none', S('f32 f32', 'f32')),
  'f32.max': op(0x97, 'none', S('f32 f32', 'f32')),
  'f64.abs': op(0x99, 'none', S('f64', 'f64')),
  'f64.neg': op(0x9a, 'none', S('f64', 'f64')),
  'f64.sqrt': op(0x9f, 'none', S('f64', 'f64')),
  'f64.add': op(0xa0, 'none', S('f64 f64', 'f64')),
  'f64.sub': op(0xa1, 'none', S('f64 f64', 'f64')),
  'f64.mul': op(0xa2, 'none', S('f64 f64', 'f64')),
  'f64.div': op(0xa3, 'none', S('f64 f64', 'f64')),
  'f64.min': op(0xa4, 'none', S('f64 f64', 'f64')),
  'f64.max': op(0xa5, 'none', S('f64 f64', 'f64')),
  // conversions
  'i32.wrap_i64': op(0xa7, 'none', S('i64', 'i32')),
  'i32.trunc_f64_s': op(0xaa, 'none', S('f64', 'i32')),
  'f32.demote_f64': op(0xb6, 'none', S('f64', 'f32')),
  'f64.convert_i32_s': op(0xb7, 'none', S('i32', 'f64')),
  'f64.convert_i32_u': op(0xb8, 'none', S('i32', 'f64')),
  'f64.promote_f32': op(0xbb, 'none', S('f32', 'f64')),
  // SIMD memory and constants
  'v128.load': simd(0x00, 'memarg', S('i32', 'v128'), 16),
  'v128.load8x8_s': simd(0x01, 'memarg', S('i32', 'v128'), 8),
  'v128.load8x8_u': simd(0x02, 'memarg', S('i32', 'v128'), 8),
  'v128.load32_splat': simd(0x09, 'memarg', S('i32', 'v128'), 4),
  'v128.load64_splat': simd(0x0a, 'memarg', S('i32', 'v128'), 8),
  'v128.store': simd(0x0b, 'memarg', S('i32 v128', ''), 16),
  'v128.const': simd(0x0c, 'v128', S('', 'v128')),
  'i8x16.shuffle': simd(0x0d, 'shuffle', S('v128 v128', 'v128')),
  // splats and lanes
  'i32x4.splat': simd(0x11, 'none', S('i32', 'v128')),
  'f32x4.splat': simd(0x13, 'none', S('f32', 'v128')),
  'f64x2.splat': simd(0x14, 'none', S('f64', 'v128')),
  'i32x4.extract_lane': simd(0x1b, 'lane', S('v128', 'i32'), 4),
  'i64x2.extract_lane': simd(0x1d, 'lane', S('v128', 'i64'), 2),
  'f32x4.extract_lane': simd(0x1f, 'lane', S('v128', 'f32'), 4),
  'f64x2.extract_lane': simd(0x21, 'lane', S('v128', 'f64'), 2),
  // SIMD comparisons and bitwise
  'f32x4.eq': simd(0x41, 'none', S('v128 v128', 'v128')),
  'f32x4.ne': simd(0x42, 'none', S('v128 v128', 'v128')),
  'f32x4.lt': simd(0x43, 'none', S('v128 v128', 'v128')),
  'f32x4.gt': simd(0x44, 'none', S('v128 v128', 'v128')),
  'f32x4.le': simd(0x45, 'none', S('v128 v128', 'v128')),
  'f32x4.ge': simd(0x46, 'none', S('v128 v128', 'v128')),
  'f64x2.eq': simd(0x47, 'none', S('v128 v128', 'v128')),
  'f64x2.lt': simd(0x49, 'none', S('v128 v128', 'v128')),
  'f64x2.gt': simd(0x4a, 'none', S('v128 v128', 'v128')),
  'v128.not': simd(0x4d, 'none', S('v128', 'v128')),
  'v128.and': simd(0x4e, 'none', S('v128 v128', 'v128')),
  'v128.or': simd(0x50, 'none', S('v128 v128', 'v128')),
  'v128.xor': simd(0x51, 'none', S('v128 v128', 'v128')),
  'v128.bitselect': simd(0x52, 'none', S('v128 v128 v128', 'v128')),
  'v128.any_true': simd(0x53, 'none', S('v128', 'i32')),
  'v128.store64_lane': simd(0x5b, 'memarg-lane', S('i32 v128', ''), 8),
  'f32x4.demote_f64x2_zero': simd(0x5e, 'none', S('v128', 'v128')),
  'f64x2.promote_low_f32x4': simd(0x5f, 'none', S('v128', 'v128')),
  // SIMD integer arithmetic
  'i32x4.add': simd(0xae, 'none', S('v128 v128', 'v128')),
  'i32x4.sub': simd(0xb1, 'none', S('v128 v128', 'v128')),
  'i32x4.mul': simd(0xb5, 'none', S('v128 v128', 'v128')),
  'i32x4.dot_i16x8_s': simd(0xba, 'none', S('v128 v128', 'v128')),
  // SIMD float arithmetic
  'f32x4.abs': simd(0xe0, 'none', S('v128', 'v128')),
  'f32x4.neg': simd(0xe1, 'none', S('v128', 'v128')),
  'f32x4.sqrt': simd(0xe3, 'none', S('v128', 'v128')),
  'f32x4.add': simd(0xe4, 'none', S('v128 v128', 'v128')),
  'f32x4.sub': simd(0xe5, 'none', S('v128 v128', 'v128')),
  'f32x4.mul': simd(0xe6, 'none', S('v128 v128', 'v128')),
  'f32x4.div': simd(0xe7, 'none', S('v128 v128', 'v128')),
  'f32x4.min': simd(0xe8, 'none', S('v128 v128', 'v128')),
  'f32x4.max': simd(0xe9, 'none', S('v128 v128', 'v128')),
  'f32x4.pmin': simd(0xea, 'none', S('v128 v128', 'v128')),
  'f32x4.pmax': simd(0xeb, 'none', S('v128 v128', 'v128')),
  'f64x2.abs': simd(0xec, 'none', S('v128', 'v128')),
  'f64x2.neg': simd(0xed, 'none', S('v128', 'v128')),
  'f64x2.sqrt': simd(0xef, 'none', S('v128', 'v128')),
  'f64x2.add': simd(0xf0, 'none', S('v128 v128', 'v128')),
  'f64x2.sub': simd(0xf1, 'none', S('v128 v128', 'v128')),
  'f64x2.mul': simd(0xf2, 'none', S('v128 v128', 'v128')),
  'f64x2.div': simd(0xf3, 'none', S('v128 v128', 'v128')),
  'f64x2.min': simd(0xf4, 'none', S('v128 v128', 'v128')),
  'f64x2.max': simd(0xf5, 'none', S('v128 v128', 'v128')),
  'f64x2.pmin': simd(0xf6, 'none', S('v128 v128', 'v128')),
  'f64x2.pmax': simd(0xf7, 'none', S('v128 v128', 'v128')),
  'f32x4.convert_i32x4_s': simd(0xfa, 'none', S('v128', 'v128')),
} as const satisfies Record<string, OpInfo>;

export type OpName = keyof typeof OPS;
