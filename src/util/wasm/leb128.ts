// LEB128, the variable-length integers of the WebAssembly binary format (spec 5.2.2): seven
// bits a byte, low bits first, the high bit set on every byte but the last.

/** unsigned LEB128 */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}

/** signed LEB128 (i32.const immediates) */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f; n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
