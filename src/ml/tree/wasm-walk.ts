// The tree walk of binned-predict.ts as a WebAssembly function generated for one forest: the same
// nodes and step, without JavaScript's bounds checks and with the field constants baked in, so
// more of a step's time is the memory access itself. Eight walks run in lock-step (their cache
// misses overlap); the function writes each tree's leaf word and JavaScript adds the values, in
// the float walk's order.
//
// Memory (one page-aligned WebAssembly memory, filled by the caller):
//   [0, 4 nSlots)        nodes (int32, as binned-predict.ts encodes them)
//   codes                one byte per feature (the row's codes)
//   roots                byte address of each tree's root, padded to a multiple of 8 with a leaf
//   out                  the leaf word reached in each tree
import { KernelCache, ModuleBuilder, PAGE, instantiate, type Local } from '../../util/wasm.ts';

export const LANES = 8;

export interface WalkLayout { codes: number; roots: number; out: number; nGroups: number; pages: number; FM: number; DS: number }

/** The module exporting `walk()`, which imports its memory as env.mem. */
export function walkKernel(L: WalkLayout): ModuleBuilder {
  const m = new ModuleBuilder('tree-walk', { min: L.pages });
  m.func('walk', {}, (f) => {
    const g = f.local('i32', 'group'); // address of the group's roots
    const a: Local[] = [], w: Local[] = [];
    for (let j = 0; j < LANES; j++) a.push(f.local('i32', `a${j}`)); // the node address of walk j
    for (let j = 0; j < LANES; j++) w.push(f.local('i32', `w${j}`)); // its node word
    f.i32(L.roots).set(g);
    f.block((done) => f.loop((groups) => {
      f.get(g).i32(L.roots + 4 * LANES * L.nGroups).op('i32.ge_u').brIf(done);
      for (let j = 0; j < LANES; j++) f.get(g).mem('i32.load', 4 * j).tee(a[j]!).mem('i32.load').set(w[j]!);
      f.block((leaves) => f.loop((steps) => {
        f.comment('all eight at a leaf (sign bit set in every word): done');
        f.get(w[0]!);
        for (let j = 1; j < LANES; j++) f.get(w[j]!).op('i32.and');
        f.i32(0).op('i32.lt_s').brIf(leaves);
        for (let j = 0; j < LANES; j++) {
          f.get(w[j]!).i32(0).op('i32.ge_s').if_(() => {
            f.comment('a += 4 * (w >> DS) + (code > k ? 4 : 0);  (k - code) >>> 29 & 4 is 4 exactly when code > k');
            f.get(a[j]!);
            f.get(w[j]!).i32(L.DS).op('i32.shr_s').i32(2).op('i32.shl', 'i32.add');
            f.get(w[j]!).i32(255).op('i32.and');
            f.get(w[j]!).i32(8).op('i32.shr_u').i32(L.FM).op('i32.and').mem('i32.load8_u', L.codes);
            f.op('i32.sub').i32(29).op('i32.shr_u').i32(4).op('i32.and', 'i32.add');
            f.tee(a[j]!).mem('i32.load').set(w[j]!);
          });
        }
        f.br(steps);
      }));
      for (let j = 0; j < LANES; j++) f.get(g).get(w[j]!).mem('i32.store', L.out - L.roots + 4 * j);
      f.get(g).i32(4 * LANES).op('i32.add').set(g);
      f.br(groups);
    }));
  });
  return m;
}

/** Bytes of the module (see walkKernel). */
export function buildWalkModule(L: WalkLayout): Uint8Array { return walkKernel(L).bytes(); }

// a forest laid out again (loaded in another thread, refitted with the same shape) reuses its walk
const cache = new KernelCache(32);

/** Instantiates the walk over `memory` (synchronously: modules this small compile at once). */
export function instantiateWalk(L: WalkLayout, memory: WebAssembly.Memory): () => void {
  if (memory.buffer.byteLength < L.pages * PAGE) throw new Error(`instantiateWalk: the memory has fewer than ${L.pages} pages`);
  const key = `${L.codes},${L.roots},${L.out},${L.nGroups},${L.pages},${L.FM},${L.DS}`;
  return instantiate<{ walk(): void }>(cache.compiled(key, () => walkKernel(L)), memory).walk;
}

/** The walk as plain TypeScript on the same memory (each tree walked on its own: the same leaves). */
export function walkTwin(L: WalkLayout, buffer: ArrayBufferLike): void {
  const i32 = new Int32Array(buffer), u8 = new Uint8Array(buffer);
  for (let t = 0; t < LANES * L.nGroups; t++) {
    let a = i32[(L.roots >> 2) + t]!, w = i32[a >> 2]!;
    while (w >= 0) {
      const k = w & 255, code = u8[L.codes + ((w >>> 8) & L.FM)]!;
      a = (a + 4 * (w >> L.DS) + (((k - code) >>> 29) & 4)) | 0;
      w = i32[a >> 2]!;
    }
    i32[(L.out >> 2) + t] = w;
  }
}
