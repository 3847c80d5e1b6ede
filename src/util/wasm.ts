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
