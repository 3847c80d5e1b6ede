// Limited-memory BFGS for smooth convex objectives (logistic regression). Two-loop recursion
// with a backtracking Armijo line search: the objectives here are convex, so this is enough.

export interface LbfgsResult { x: Float64Array; f: number; iterations: number; converged: boolean }

/** fg(x, grad) writes the gradient into grad and returns f(x). */
export function lbfgs(
  fg: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  opts: { maxIter?: number; tol?: number; memory?: number } = {},
): LbfgsResult {
  const maxIter = opts.maxIter ?? 100, tol = opts.tol ?? 1e-6, m = opts.memory ?? 10;
  const n = x0.length;
  let x = x0.slice();
  let g = new Float64Array(n);
  let f = fg(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const d = new Float64Array(n), alpha = new Float64Array(m);
  const xn = new Float64Array(n), gn = new Float64Array(n);
  const gmax = (v: Float64Array) => { let s = 0; for (let i = 0; i < n; i++) s = Math.max(s, Math.abs(v[i]!)); return s; };
  let it = 0;
  if (gmax(g) <= tol) return { x, f, iterations: 0, converged: true };
  for (; it < maxIter; it++) {
    // d = -H g by the two-loop recursion
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      let a = 0; const s = S[j]!, y = Y[j]!;
      for (let i = 0; i < n; i++) a += s[i]! * d[i]!;
      a *= rho[j]!; alpha[j] = a;
      for (let i = 0; i < n; i++) d[i] -= a * y[i]!;
    }
    if (k > 0) {
      const s = S[k - 1]!, y = Y[k - 1]!;
      let sy = 0, yy = 0;
      for (let i = 0; i < n; i++) { sy += s[i]! * y[i]!; yy += y[i]! * y[i]!; }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      // first step: unit-length steepest descent so the line search starts at a sane scale
      const gn0 = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
      for (let i = 0; i < n; i++) d[i] /= Math.max(gn0, 1);
    }
    for (let j = 0; j < k; j++) {
      let b = 0; const s = S[j]!, y = Y[j]!;
      for (let i = 0; i < n; i++) b += y[i]! * d[i]!;
      b *= rho[j]!;
      for (let i = 0; i < n; i++) d[i] += (alpha[j]! - b) * s[i]!;
    }
    let gd = 0;
    for (let i = 0; i < n; i++) gd += g[i]! * d[i]!;
    if (gd >= 0) { // not a descent direction (numerical trouble): restart from steepest descent
      S.length = 0; Y.length = 0; rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      gd = -g.reduce((s, v) => s + v * v, 0);
    }
    let step = 1, fn = 0, ok = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xn[i] = x[i]! + step * d[i]!;
      fn = fg(xn, gn);
      if (fn <= f + 1e-4 * step * gd) { ok = true; break; }
      step *= 0.5;
    }
    if (!ok) break;
    const s = new Float64Array(n), y = new Float64Array(n);
    let sy = 0;
    for (let i = 0; i < n; i++) { s[i] = xn[i]! - x[i]!; y[i] = gn[i]! - g[i]!; sy += s[i]! * y[i]!; }
    if (sy > 1e-12) {
      S.push(s); Y.push(y); rho.push(1 / sy);
      if (S.length > m) { S.shift(); Y.shift(); rho.shift(); }
    }
    const df = f - fn;
    x = xn.slice(); g = gn.slice(); f = fn;
    if (gmax(g) <= tol) return { x, f, iterations: it + 1, converged: true };
    if (df >= 0 && df <= 1e-15 * Math.max(1, Math.abs(f))) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: it, converged: gmax(g) <= tol };
}
