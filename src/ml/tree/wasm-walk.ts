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
import { uleb, sleb, vec, section, name } from '../../util/wasm.ts';


const LGET = 0x20, LSET = 0x21, LTEE = 0x22, I32C = 0x41, I32LOAD = 0x28, I32LOAD8U = 0x2d, I32STORE = 0x36;
const I32ADD = 0x6a, I32SUB = 0x6b, I32AND = 0x71, I32SHL = 0x74, I32SHRS = 0x75, I32SHRU = 0x76;
const I32LTS = 0x48, I32GEU = 0x4f, I32GES = 0x4e;
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, END = 0x0b, BR = 0x0c, BRIF = 0x0d, VOID = 0x40;

export const LANES = 8;

export interface WalkLayout { codes: number; roots: number; out: number; nGroups: number; pages: number; FM: number; DS: number }

/** Bytes of the module exporting `walk()`, which imports its memory as env.mem. */
export function buildWalkModule(L: WalkLayout): Uint8Array {
  const G = 0; // local 0: address of the group's roots; then a_j, w_j
  const A = (j: number) => 1 + j, W = (j: number) => 1 + LANES + j;
  const c: number[] = [];
  const get = (l: number) => c.push(LGET, ...uleb(l));
  const set = (l: number) => c.push(LSET, ...uleb(l));
  const i32 = (v: number) => c.push(I32C, ...sleb(v));
  const mem = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];

  i32(L.roots); set(G);
  c.push(BLOCK, VOID, LOOP, VOID);
  get(G); i32(L.roots + 4 * LANES * L.nGroups); c.push(I32GEU, BRIF, 1);
  for (let j = 0; j < LANES; j++) {
    get(G); c.push(I32LOAD, ...mem(2, 4 * j)); c.push(LTEE, ...uleb(A(j)));
    c.push(I32LOAD, ...mem(2, 0)); set(W(j));
  }
  c.push(BLOCK, VOID, LOOP, VOID);
  // all eight at a leaf (sign bit set in every word): done
  get(W(0));
  for (let j = 1; j < LANES; j++) { get(W(j)); c.push(I32AND); }
  i32(0); c.push(I32LTS, BRIF, 1);
  for (let j = 0; j < LANES; j++) {
    get(W(j)); i32(0); c.push(I32GES, IF, VOID);
    // a += 4 * (w >> DS) + (code > k ? 4 : 0);  (k - code) >>> 29 & 4 is 4 exactly when code > k
    get(A(j));
    get(W(j)); i32(L.DS); c.push(I32SHRS); i32(2); c.push(I32SHL, I32ADD);
    get(W(j)); i32(255); c.push(I32AND);
    get(W(j)); i32(8); c.push(I32SHRU); i32(L.FM); c.push(I32AND); c.push(I32LOAD8U, ...mem(0, L.codes));
    c.push(I32SUB); i32(29); c.push(I32SHRU); i32(4); c.push(I32AND, I32ADD);
    c.push(LTEE, ...uleb(A(j))); c.push(I32LOAD, ...mem(2, 0)); set(W(j));
    c.push(END);
  }
  c.push(BR, 0, END, END);
  for (let j = 0; j < LANES; j++) { get(G); get(W(j)); c.push(I32STORE, ...mem(2, L.out - L.roots + 4 * j)); }
  get(G); i32(4 * LANES); c.push(I32ADD); set(G);
  c.push(BR, 0, END, END, END);

  const body = [...vec([[...uleb(1 + 2 * LANES), 0x7f]]), ...c];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0, 0]])), // type: () -> ()
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(L.pages)]])), // import memory
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('walk'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** Instantiates the walk over `memory` (synchronously: modules this small compile at once). */
export function instantiateWalk(L: WalkLayout, memory: WebAssembly.Memory): () => void {
  const mod = new WebAssembly.Module(buildWalkModule(L));
  const inst = new WebAssembly.Instance(mod, { env: { mem: memory } });
  return inst.exports.walk as () => void;
}
