// A node of the tree being grown (grower.ts) and the best-first queue of nodes to split.
export interface GrowNode {
  id: number; start: number; end: number; depth: number;
  hist: Float64Array | null;
  tot: Float64Array;
  gain: number; feat: number; bin: number; leftTot: Float64Array;
  /** small-node mode: the per-column sorted row lists of this segment are valid */
  sorted: boolean;
}

export function heapPush(h: GrowNode[], n: GrowNode): void {
  h.push(n);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!better(h[i]!, h[p]!)) break;
    [h[i], h[p]] = [h[p]!, h[i]!]; i = p;
  }
}

export function heapPop(h: GrowNode[]): GrowNode {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && better(h[l]!, h[m]!)) m = l;
      if (r < h.length && better(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!]; i = m;
    }
  }
  return top;
}

/** Higher gain first; ties by node id so growth order never depends on heap internals. */
function better(a: GrowNode, b: GrowNode): boolean {
  return a.gain > b.gain || (a.gain === b.gain && a.id < b.id);
}
