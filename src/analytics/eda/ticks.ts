// Axis ticks and histogram edges: "nice" round numbers (1, 2, 2.5 or 5 times a power of ten) as
// an analyst would draw them, and bins that never split an integer for integer-valued columns.

/** About `count` round tick values covering [lo, hi] (d3's ticks(), in spirit). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const step = niceStep((hi - lo) / Math.max(1, count));
  const first = Math.ceil(lo / step - 1e-9), last = Math.floor(hi / step + 1e-9);
  const out: number[] = [];
  for (let k = first; k <= last; k++) out.push(roundTo(k * step, step));
  return out;
}

/** Ticks on whole numbers only (an integer column's axis): a step of 2.5 becomes 2, below 1 becomes 1. */
export function integerTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const raw = niceStep((hi - lo) / Math.max(1, count));
  const step = raw < 1 ? 1 : Number.isInteger(raw) ? raw : Math.floor(raw);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

/** The smallest of 1, 2, 2.5, 5 (x 10^k) at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/** k * step without the float noise of the product (0.30000000000000004). */
function roundTo(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(20, digits)));
}

/**
 * Histogram edges over [lo, hi]: `bins` equal widths for real numbers; for integer-valued
 * columns a whole-number width (one bar per value when the values are few), edges at
 * value - 0.5 so each bar is centred on the integers it counts.
 */
export function histogramEdges(lo: number, hi: number, bins: number, integer: boolean): number[] {
  if (integer) {
    const a = Math.floor(lo), b = Math.ceil(hi);
    const width = Math.max(1, Math.ceil((b - a + 1) / bins));
    const n = Math.max(1, Math.ceil((b - a + 1) / width));
    return Array.from({ length: n + 1 }, (_, k) => a - 0.5 + k * width);
  }
  if (!(hi > lo)) return [lo, hi];
  const w = (hi - lo) / bins;
  return Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + k * w));
}

/** A tick or bin label: integers grouped, others to 3 significant digits, large and tiny ones in k/M/G or exponent form. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a < 1e-3) return v.toExponential(1);
  return trim(v);
}

function trim(v: number): string {
  return Number(v.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}
