// What JSON.parse does not tell: a key given twice in one object (JSON.parse keeps the last
// value, and another reader may keep the first: what was validated would not be what is
// stored) and how deep the nesting goes (deep values overflow the stack of recursive code
// downstream). One pass over text that JSON.parse has already accepted.

export type StructureProblem =
  | { kind: 'duplicate_key'; key: string; offset: number }
  | { kind: 'too_deep'; depth: number; offset: number }
  | { kind: 'too_many_keys'; offset: number };

/** Events are flat objects holding at most an array of ids: a body needs a few levels. */
export const MAX_JSON_DEPTH = 16;

/** Keys of one object: events have about ten; a larger object is an error, not a slow path. */
export const MAX_OBJECT_KEYS = 256;

/**
 * The first duplicate key or excessive nesting in `text`, which must be valid JSON (checked by
 * JSON.parse first), or null. Keys are compared after unescaping ("a" and "\u0061" are one key).
 */
export function jsonStructureProblem(text: string, maxDepth = MAX_JSON_DEPTH): StructureProblem | null {
  // per open object: the keys seen so far, in an array reused level by level (events have a
  // handful of keys: a linear search beats building a Set for each object)
  const keys: string[][] = [];
  const isArray: boolean[] = [];
  let depth = 0;
  let expectKey = false;
  let nextBackslash = -2;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i + 1;
      let escaped = false;
      i = text.indexOf('"', start);
      // the next backslash, looked up again only once passed (one scan of the text in all)
      if (nextBackslash !== -1 && nextBackslash < start) nextBackslash = text.indexOf('\\', start);
      const bs = nextBackslash;
      if (bs >= 0 && bs < i) {
        // escapes inside: walk it, skipping each escaped character
        escaped = true;
        for (i = bs; i < n; i++) {
          const d = text.charCodeAt(i);
          if (d === 0x5c /* \ */) { i++; continue; }
          if (d === 0x22) break;
        }
      }
      if (expectKey) {
        expectKey = false;
        const raw = text.slice(start, i);
        const key = escaped ? JSON.parse(`"${raw}"`) as string : raw;
        const seen = keys[depth - 1]!;
        if (seen.includes(key)) return { kind: 'duplicate_key', key, offset: start - 1 };
        if (seen.length >= MAX_OBJECT_KEYS) return { kind: 'too_many_keys', offset: start - 1 };
        seen.push(key);
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return { kind: 'too_deep', depth, offset: i };
      isArray[depth - 1] = c === 0x5b;
      if (c === 0x7b) { const k = keys[depth - 1]; if (k) k.length = 0; else keys[depth - 1] = []; }
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = depth > 0 && !isArray[depth - 1];
    }
  }
  return null;
}

/** Whether a parsed value nests deeper than `maxDepth` containers (a walk over containers only). */
export function deeperThan(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > maxDepth) return true;
    if (Array.isArray(v)) { for (const x of v) if (typeof x === 'object' && x !== null) stack.push([x, d + 1]); }
    else for (const k in v) { const x = (v as Record<string, unknown>)[k]; if (typeof x === 'object' && x !== null) stack.push([x, d + 1]); }
  }
  return false;
}
