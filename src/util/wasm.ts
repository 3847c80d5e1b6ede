// The WebAssembly kernels' toolkit: a typed builder (wasm/builder.ts) over the one opcode table
// (wasm/opcodes.ts), a text printer (wasm/wat.ts), and a cache of compiled kernels. Each kernel
// is generated for its exact shapes (a row's width unrolled, offsets as constants), so it is
// built at run time rather than shipped as a .wasm file; docs/decisions.md says why.
import { ModuleBuilder } from './wasm/builder.ts';

export {
  ModuleBuilder, FunctionBuilder, WasmBuildError, uleb, sleb, type Local, type Label, type FuncRef, type Params, type MemorySpec,
} from './wasm/builder.ts';
export { toWat } from './wasm/wat.ts';
export type { ValType, OpName } from './wasm/opcodes.ts';

/** bytes of a WebAssembly page */
export const PAGE = 65536;

/**
 * Compiled kernels by shape key, compiled once per thread (the key holds every parameter the
 * kernel is specialised on, so equal keys mean equal bytes). `get` gives null for a kernel this
 * runtime cannot compile (no WebAssembly SIMD or shared memory): its callers use the TypeScript
 * twin. `compiled` throws instead, for kernels whose callers have no fallback. With a limit, the
 * least recently used module goes first (kernels keyed by data layout would otherwise pile up).
 */
export class KernelCache<K = string> {
  private readonly modules = new Map<K, WebAssembly.Module | null>();
  constructor(private readonly limit = Infinity) {}
  get size(): number { return this.modules.size; }
  get(key: K, build: () => ModuleBuilder): WebAssembly.Module | null {
    let m = this.modules.get(key);
    if (m === undefined) {
      // a mistake in a kernel throws from the builder's validator; only the runtime's refusal
      // (no SIMD, no shared memory) makes it null
      const bytes = build().bytes();
      try { m = new WebAssembly.Module(bytes); } catch { m = null; }
      this.put(key, m);
    } else if (this.limit !== Infinity) { this.modules.delete(key); this.modules.set(key, m); }
    return m;
  }
  /** The compiled module, built on a miss; a runtime that refuses it throws (naming the kernel). */
  compiled(key: K, build: () => ModuleBuilder): WebAssembly.Module {
    let m = this.modules.get(key);
    if (m === undefined || m === null) { m = build().compile(); this.put(key, m); }
    else if (this.limit !== Infinity) { this.modules.delete(key); this.modules.set(key, m); }
    return m;
  }
  private put(key: K, m: WebAssembly.Module | null): void {
    this.modules.set(key, m);
    if (this.modules.size > this.limit) this.modules.delete(this.modules.keys().next().value as K);
  }
}

/** The module's exports over `memory` (kernels import it as env.mem). */
export function instantiate<T>(module: WebAssembly.Module, memory: WebAssembly.Memory): T {
  return new WebAssembly.Instance(module, { env: { mem: memory } }).exports as unknown as T;
}

let simd: boolean | undefined;
/** Whether this engine validates a module with one SIMD instruction (v128.const, drop). */
export function simdSupported(): boolean {
  if (simd === undefined) {
    const probe = new ModuleBuilder('simd-probe', { min: 1 });
    probe.func('probe', {}, (f) => f.v128zero().op('drop'));
    simd = WebAssembly.validate(probe.bytes());
  }
  return simd;
}
