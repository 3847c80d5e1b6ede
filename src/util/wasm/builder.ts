// A typed builder for the WebAssembly kernels: functions with named parameters and locals,
// blocks and loops that close themselves (a body callback) and are branched to by name, every
// instruction named as in the text format and looked up in the one opcode table (opcodes.ts),
// and a validator that runs as the code is written: each instruction's operand types are checked
// against the stack, so a mistake throws at the kernel's own line, naming the kernel, the
// instruction and what the stack held. The same instruction list encodes to the binary module
// and prints as WebAssembly text (wat.ts), which is what the golden dumps under test/ hold.
//
// Kernels are generated at run time for their exact shapes (unrolled over a row's width, offsets
// as constants), which is why they are built here rather than compiled ahead of time; see
// docs/decisions.md, "Readable kernels".
import { sleb, uleb } from './leb128.ts';
import { BLOCKTYPE_VOID, EXTERN, FUNCTYPE, LIMITS, MAGIC_VERSION, OPS, SECTION, VALTYPE, type OpInfo, type OpName, type ValType } from './opcodes.ts';

// ---- binary encoding primitives ----

export { uleb, sleb };

function pushU(out: number[], n: number): void { if (n >= 0 && n < 128) out.push(n); else for (const b of uleb(n)) out.push(b); }
function pushS(out: number[], n: number): void { if (n >= -64 && n < 64) out.push(n < 0 ? n + 128 : n); else for (const b of sleb(n)) out.push(b); }
const utf8 = new TextEncoder();
function pushName(out: number[], s: string): void { const b = utf8.encode(s); pushU(out, b.length); for (const x of b) out.push(x); }
function pushSection(out: number[], id: number, body: number[]): void { out.push(id); pushU(out, body.length); for (const x of body) out.push(x); }

// ---- the instruction list ----

export interface Local { readonly index: number; readonly name: string; readonly type: ValType }
export interface Label { readonly name: string; readonly kind: 'block' | 'loop' | 'if'; readonly level: number; readonly result?: ValType }
export interface FuncRef { readonly index: number; readonly name: string; readonly params: readonly ValType[]; readonly results: readonly ValType[] }

/** One instruction: its name and immediate; 'comment' is text for the dump only. */
export type Instr =
  | { op: 'comment'; text: string }
  | {
    op: OpName; local?: Local; label?: Label; depth?: number; func?: FuncRef; n?: number; offset?: number; align?: number; lane?: number;
    bytes?: readonly number[]; shape?: 'i64x2' | 'i8x16';
  };

export class WasmBuildError extends Error {}

interface Frame { label: Label; height: number; unreachable: boolean }

type ParamSpec = Record<string, ValType>;
export type Params<P extends ParamSpec> = { readonly [K in keyof P]: Local };

/**
 * One function under construction. Instructions are methods named after their text form
 * (`op('i32.add')`, `get(i)`, `load('f64.load', offset)`), chainable; the stack is type-checked
 * as they are written.
 */
export class FunctionBuilder<P extends ParamSpec = ParamSpec> {
  readonly params: Params<P>;
  readonly code: Instr[] = [];
  /** parameters then locals, in index order */
  readonly vars: Local[] = [];
  private readonly names = new Set<string>();
  private readonly stack: (ValType | 'any')[] = [];
  private readonly frames: Frame[] = [];
  private labels = 0;

  constructor(readonly kernel: string, readonly name: string, params: P, readonly results: readonly ValType[], readonly index: number) {
    const p: Record<string, Local> = {};
    for (const [n, t] of Object.entries(params)) p[n] = this.declare(n, t);
    this.params = p as Params<P>;
    this.frames.push({ label: { name: 'fn', kind: 'block', level: 0 }, height: 0, unreachable: false });
  }

  /** a new local of type t; the name shows in the text dump (made unique with a number) */
  local(type: ValType, name: string): Local { return this.declare(name, type); }

  /** `count` locals of one type: name0, name1, ... */
  locals(type: ValType, count: number, name: string): Local[] {
    return Array.from({ length: count }, (_, i) => this.declare(`${name}${i}`, type));
  }

  private declare(name: string, type: ValType): Local {
    let n = name, k = 1;
    while (this.names.has(n)) n = `${name}_${k++}`;
    this.names.add(n);
    const l: Local = { index: this.vars.length, name: n, type };
    this.vars.push(l);
    return l;
  }

  // ---- plain instructions ----

  /** instructions without immediates, in order: op('i32.add'), op('f64.mul', 'f64.add') */
  op(...names: OpName[]): this {
    for (const name of names) {
      const info: OpInfo = OPS[name];
      if (info.imm !== 'none' && info.imm !== 'memidx') this.fail(name, `takes a ${info.imm} immediate: use its own method`);
      if (name === 'select') this.typeSelect();
      else if (name === 'drop') this.pop(name, 'any');
      else if (name === 'return') { this.popAll(name, this.results); this.markUnreachable(); }
      else if (name === 'else' || name === 'end' || name === 'block' || name === 'loop' || name === 'if') {
        this.fail(name, 'write blocks with block(), loop() and if_()');
      }
      else this.apply(name, info);
      this.code.push({ op: name });
    }
    return this;
  }

  /** a comment in the text dump (no code) */
  comment(text: string): this { this.code.push({ op: 'comment', text }); return this; }

  get(l: Local): this { this.own(l, 'local.get'); this.push(l.type); this.code.push({ op: 'local.get', local: l }); return this; }
  set(l: Local): this { this.own(l, 'local.set'); this.pop('local.set', l.type); this.code.push({ op: 'local.set', local: l }); return this; }
  tee(l: Local): this {
    this.own(l, 'local.tee'); this.pop('local.tee', l.type); this.push(l.type);
    this.code.push({ op: 'local.tee', local: l });
    return this;
  }

  i32(v: number): this {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32) this.fail('i32.const', `${v} is not a 32-bit integer`);
    this.push('i32'); this.code.push({ op: 'i32.const', n: v | 0 }); return this;
  }
  f32(v: number): this { this.push('f32'); this.code.push({ op: 'f32.const', n: Math.fround(v) }); return this; }
  f64(v: number): this { this.push('f64'); this.code.push({ op: 'f64.const', n: v }); return this; }
  /** v128.const of 16 bytes */
  v128(bytes: readonly number[]): this {
    if (bytes.length !== 16 || bytes.some((b) => !(b >= 0 && b < 256 && Number.isInteger(b)))) this.fail('v128.const', 'needs 16 bytes');
    this.push('v128'); this.code.push({ op: 'v128.const', bytes, shape: 'i8x16' }); return this;
  }
  /** v128.const with two 64-bit integer lanes */
  v128i64x2(a: number, b: number): this {
    const bytes = Array.from(new Uint8Array(BigInt64Array.of(BigInt(a), BigInt(b)).buffer));
    this.push('v128'); this.code.push({ op: 'v128.const', bytes, shape: 'i64x2' }); return this;
  }
  /** v128.const 0 */
  v128zero(): this { return this.v128i64x2(0, 0); }

  /** a load or store at the address on the stack plus `offset` bytes; align in bytes (natural by default) */
  mem(name: OpName, offset = 0, align?: number): this {
    const info: OpInfo = OPS[name];
    if (info.imm !== 'memarg') this.fail(name, 'is not a load or store');
    const a = align ?? info.width!;
    if (!(a >= 1 && a <= info.width! && (a & (a - 1)) === 0)) this.fail(name, `alignment ${a} must be a power of two at most ${info.width}`);
    if (!(Number.isInteger(offset) && offset >= 0 && offset < 2 ** 32)) this.fail(name, `offset ${offset} is out of range`);
    this.apply(name, info);
    this.code.push({ op: name, offset, align: a });
    return this;
  }

  /** a lane access: extract_lane with its lane index */
  lane(name: OpName, lane: number): this {
    const info: OpInfo = OPS[name];
    if (info.imm !== 'lane') this.fail(name, 'is not a lane instruction');
    if (!(Number.isInteger(lane) && lane >= 0 && lane < info.width!)) this.fail(name, `lane ${lane} is not in [0, ${info.width})`);
    this.apply(name, info);
    this.code.push({ op: name, lane });
    return this;
  }

  /** a store of one lane (v128.store64_lane): address, vector; offset and align in bytes */
  storeLane(name: OpName, lane: number, offset = 0, align?: number): this {
    const info: OpInfo = OPS[name];
    if (info.imm !== 'memarg-lane') this.fail(name, 'is not a lane store');
    const a = align ?? info.width!;
    if (!(lane >= 0 && lane < 16 / info.width!)) this.fail(name, `lane ${lane} is out of range`);
    this.apply(name, info);
    this.code.push({ op: name, lane, offset, align: a });
    return this;
  }

  /** i8x16.shuffle with its 16 lane indices */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !(l >= 0 && l < 32))) this.fail('i8x16.shuffle', 'needs 16 lane indices below 32');
    this.apply('i8x16.shuffle', OPS['i8x16.shuffle']);
    this.code.push({ op: 'i8x16.shuffle', bytes: lanes });
    return this;
  }

  call(f: FuncRef): this {
    this.popAll(`call ${f.name}`, f.params);
    for (const t of f.results) this.push(t);
    this.code.push({ op: 'call', func: f });
    return this;
  }

  // ---- structured control ----

  /** block ... end; `br(exit)` inside leaves it */
  block(body: (exit: Label) => void, name = 'block'): this { return this.structured('block', name, body); }
  /** loop ... end; `br(top)` inside starts the next iteration */
  loop(body: (top: Label) => void, name = 'loop'): this { return this.structured('loop', name, body); }
  /** if ... (else ...) end, on the i32 on the stack */
  if_(then: (self: Label) => void, otherwise?: (self: Label) => void, name = 'if'): this {
    return this.ifElse(undefined, then, otherwise, name);
  }

  /** if (result t) ... else ... end: each branch leaves one value of type t */
  ifResult(result: ValType, then: (self: Label) => void, otherwise: (self: Label) => void, name = 'if'): this {
    return this.ifElse(result, then, otherwise, name);
  }

  private ifElse(result: ValType | undefined, then: (self: Label) => void, otherwise: ((self: Label) => void) | undefined, name: string): this {
    this.pop('if', 'i32');
    const label = this.open('if', name, result);
    then(label);
    if (otherwise) {
      this.closeCheck('else');
      const frame = this.frames.at(-1)!;
      frame.unreachable = false;
      this.code.push({ op: 'else' });
      otherwise(label);
    } else if (result) this.fail('if', 'an if with a result needs an else');
    this.close();
    return this;
  }

  br(label: Label): this {
    this.code.push({ op: 'br', label, depth: this.depth('br', label) });
    this.markUnreachable();
    return this;
  }
  brIf(label: Label): this {
    this.pop('br_if', 'i32');
    this.code.push({ op: 'br_if', label, depth: this.depth('br_if', label) });
    return this;
  }

  private structured(kind: 'block' | 'loop', name: string, body: (l: Label) => void): this {
    const label = this.open(kind, name);
    body(label);
    this.close();
    return this;
  }

  private open(kind: 'block' | 'loop' | 'if', name: string, result?: ValType): Label {
    const label: Label = { name: `${name}${this.labels++}`, kind, level: this.frames.length, result };
    this.frames.push({ label, height: this.stack.length, unreachable: false });
    this.code.push({ op: kind, label });
    return label;
  }

  private closeCheck(what: string): void {
    const frame = this.frames.at(-1)!, want = frame.label.result;
    if (want) this.pop(what, want);
    if (!frame.unreachable && this.stack.length !== frame.height) {
      const extra = this.stack.slice(frame.height);
      this.fail(what, `the ${frame.label.kind} $${frame.label.name} leaves ${extra.length} value(s) more than its result (${extra.join(' ')})`);
    }
    this.stack.length = frame.height;
  }

  private close(): void {
    this.closeCheck('end');
    const { result } = this.frames.pop()!.label;
    if (result) this.push(result);
    this.code.push({ op: 'end' });
  }

  private depth(what: string, label: Label): number {
    if (label.result && label.kind !== 'loop') this.fail(what, `branches to $${label.name}, which has a result: not supported`);
    const at = this.frames.findIndex((f) => f.label === label);
    if (at < 1) this.fail(what, `label $${label.name} is not an enclosing block`);
    return this.frames.length - 1 - at;
  }

  // ---- the validator ----

  private own(l: Local, what: string): void {
    if (this.vars[l.index] !== l) this.fail(what, `local $${l.name} belongs to another function`);
  }

  private push(t: ValType): void { this.stack.push(t); }

  private pop(what: string, want: ValType | 'any'): ValType | 'any' {
    const frame = this.frames[this.frames.length - 1]!;
    if (this.stack.length === frame.height) {
      if (frame.unreachable) return want;
      this.fail(what, `expects ${want} on the stack, which is empty here`);
    }
    const got = this.stack.pop()!;
    if (want !== 'any' && got !== 'any' && got !== want) {
      this.fail(what, `expects ${want}, found ${got} (stack below: ${this.stack.slice(frame.height).join(' ') || 'empty'})`);
    }
    return got;
  }

  private popAll(what: string, types: readonly ValType[]): void {
    for (let i = types.length - 1; i >= 0; i--) this.pop(what, types[i]!);
  }

  private apply(name: string, info: OpInfo): void {
    // index loops, no destructuring: kernels are built once per shape, mostly in V8's interpreter
    const sig = info.sig!, pops = sig[0], pushes = sig[1];
    for (let i = pops.length - 1; i >= 0; i--) this.pop(name, pops[i]!);
    for (let i = 0; i < pushes.length; i++) this.stack.push(pushes[i]!);
  }

  private typeSelect(): void {
    this.pop('select', 'i32');
    const b = this.pop('select', 'any');
    const a = this.pop('select', b);
    this.push(a === 'any' ? (b as ValType) : a);
  }

  private markUnreachable(): void {
    const frame = this.frames.at(-1)!;
    this.stack.length = frame.height;
    frame.unreachable = true;
  }

  private fail(what: string, why: string): never {
    throw new WasmBuildError(`kernel ${this.kernel}, function ${this.name}, instruction ${this.code.length} (${what}): ${why}`);
  }

  /** checks the end of the function (called by the module) */
  finish(): void {
    if (this.frames.length !== 1) this.fail('end', 'a block is still open');
    const frame = this.frames[0]!;
    if (!frame.unreachable) {
      const got = this.stack.slice();
      if (got.length !== this.results.length || got.some((t, i) => t !== 'any' && t !== this.results[i])) {
        this.fail('end', `the function returns [${this.results.join(' ')}] but leaves [${got.join(' ')}]`);
      }
    }
  }

  /** the function body: local declarations (runs of one type) and the code */
  encodeBody(): number[] {
    const b: number[] = [];
    const runs: [number, ValType][] = [];
    for (const l of this.vars.slice(Object.keys(this.params).length)) {
      const last = runs.at(-1);
      if (last && last[1] === l.type) last[0]++;
      else runs.push([1, l.type]);
    }
    pushU(b, runs.length);
    for (const [n, t] of runs) { pushU(b, n); b.push(VALTYPE[t]); }
    for (const ins of this.code) encode(b, ins);
    b.push(OPS.end.code[0]);
    return b;
  }
}

function encode(out: number[], ins: Instr): void {
  if (ins.op === 'comment') return;
  const info: OpInfo = OPS[ins.op];
  out.push(info.code[0]);
  if (info.code.length === 2) pushU(out, info.code[1]!);
  switch (info.imm) {
    case 'none': return;
    case 'local': pushU(out, ins.local!.index); return;
    case 'label': pushU(out, ins.depth!); return;
    case 'block': out.push(ins.label!.result ? VALTYPE[ins.label!.result] : BLOCKTYPE_VOID); return;
    case 'func': pushU(out, ins.func!.index); return;
    case 'memidx': out.push(0); return;
    case 'i32': pushS(out, ins.n!); return;
    case 'f32': { const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, ins.n!, true); out.push(...b); return; }
    case 'f64': { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, ins.n!, true); out.push(...b); return; }
    case 'v128': case 'shuffle': for (const x of ins.bytes!) out.push(x); return;
    case 'lane': out.push(ins.lane!); return;
    case 'memarg': pushU(out, Math.log2(ins.align!)); pushU(out, ins.offset!); return;
    case 'memarg-lane': pushU(out, Math.log2(ins.align!)); pushU(out, ins.offset!); out.push(ins.lane!); return;
    default: throw new WasmBuildError(`cannot encode ${ins.op}`);
  }
}

export interface MemorySpec {
  /** initial pages */
  min: number;
  /** maximum pages (required for a shared memory) */
  max?: number;
  shared?: boolean;
}

/**
 * A module of kernels over one memory imported as env.mem, each function exported under its
 * name. `bytes()` for the binary, `wat()` (wat.ts) for the text, `compile()` for a module.
 */
export class ModuleBuilder {
  readonly funcs: FunctionBuilder<any>[] = [];

  /** name: the kernel's name in errors and dumps */
  constructor(readonly name: string, readonly memory: MemorySpec) {
    if (memory.shared && memory.max === undefined) throw new WasmBuildError(`kernel ${name}: a shared memory needs a maximum`);
  }

  /** Adds a function; `body` writes its code. Returns a reference for `call`. */
  func<P extends ParamSpec>(name: string, params: P, body: (f: FunctionBuilder<P>, p: Params<P>) => void, results: readonly ValType[] = []): FuncRef {
    const f = new FunctionBuilder<P>(this.name, name, params, results, this.funcs.length);
    body(f, f.params);
    f.finish();
    this.funcs.push(f);
    return { index: f.index, name, params: Object.values(params), results };
  }

  bytes(): Uint8Array {
    // function types, deduplicated in order of first use
    const typeKeys: string[] = [], typeOf: number[] = [];
    for (const f of this.funcs) {
      const key = `${Object.values(f.params).map((l) => l.type).join(',')}->${f.results.join(',')}`;
      let t = typeKeys.indexOf(key);
      if (t < 0) { t = typeKeys.length; typeKeys.push(key); }
      typeOf.push(t);
    }
    const types: number[] = [];
    pushU(types, typeKeys.length);
    for (const key of typeKeys) {
      const [ps, rs] = key.split('->').map((s) => (s ? (s.split(',') as ValType[]) : []));
      types.push(FUNCTYPE); pushU(types, ps!.length); for (const t of ps!) types.push(VALTYPE[t]);
      pushU(types, rs!.length); for (const t of rs!) types.push(VALTYPE[t]);
    }
    const { min, max, shared } = this.memory;
    const imports: number[] = [1];
    pushName(imports, 'env'); pushName(imports, 'mem'); imports.push(EXTERN.memory);
    if (shared) { imports.push(LIMITS.sharedMinMax); pushU(imports, min); pushU(imports, max!); }
    else if (max !== undefined) { imports.push(LIMITS.minMax); pushU(imports, min); pushU(imports, max); }
    else { imports.push(LIMITS.min); pushU(imports, min); }
    const fns: number[] = [];
    pushU(fns, this.funcs.length);
    for (const t of typeOf) pushU(fns, t);
    const exports: number[] = [];
    pushU(exports, this.funcs.length);
    this.funcs.forEach((f, i) => { pushName(exports, f.name); exports.push(EXTERN.func); pushU(exports, i); });
    const code: number[] = [];
    pushU(code, this.funcs.length);
    for (const f of this.funcs) { const b = f.encodeBody(); pushU(code, b.length); for (const x of b) code.push(x); }
    const out: number[] = [...MAGIC_VERSION];
    pushSection(out, SECTION.type, types);
    pushSection(out, SECTION.import, imports);
    pushSection(out, SECTION.function, fns);
    pushSection(out, SECTION.export, exports);
    pushSection(out, SECTION.code, code);
    return Uint8Array.from(out);
  }

  /** The compiled module; a compile error (no SIMD, say) names the kernel. */
  compile(): WebAssembly.Module {
    const bytes = this.bytes();
    try { return new WebAssembly.Module(bytes); } catch (e) {
      throw new WasmBuildError(`kernel ${this.name}: ${(e as Error).message}`, { cause: e });
    }
  }
}
