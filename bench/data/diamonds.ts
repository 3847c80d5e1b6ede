// A deterministic stand-in for ggplot2's diamonds table (which we may not download): the same
// columns, similar marginal distributions, and a nonlinear price (log-linear in carat with a
// curvature term, multiplicative cut/color/clarity effects that grow with size, a depth penalty,
// log-normal noise, clipped to the real range 326..18823).
import { writeFileSync } from 'node:fs';
import { Rng } from '../../src/ml/core/rng.ts';

const CUTS = ['Fair', 'Good', 'Very Good', 'Premium', 'Ideal'];
const CUT_P = [0.03, 0.09, 0.224, 0.256, 0.4];
const CUT_EFF = [-0.12, -0.05, 0, 0.01, 0.04];
const COLORS = ['D', 'E', 'F', 'G', 'H', 'I', 'J'];
const COLOR_P = [0.126, 0.18, 0.177, 0.209, 0.154, 0.1, 0.054];
const COLOR_EFF = [0.1, 0.06, 0.02, -0.03, -0.12, -0.23, -0.35];
const CLARITIES = ['I1', 'SI2', 'SI1', 'VS2', 'VS1', 'VVS2', 'VVS1', 'IF'];
const CLARITY_P = [0.014, 0.17, 0.242, 0.227, 0.151, 0.094, 0.069, 0.033];
const CLARITY_EFF = [-0.75, -0.35, -0.22, -0.12, -0.06, 0, 0.05, 0.12];

function pick(rng: Rng, p: number[]): number {
  let u = rng.random();
  for (let i = 0; i < p.length - 1; i++) { u -= p[i]!; if (u < 0) return i; }
  return p.length - 1;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

export interface DiamondRow {
  carat: number; cut: string; color: string; clarity: string; depth: number; table: number;
  price: number; x: number; y: number; z: number;
}

export function generateDiamonds(n = 53940, seed = 42): DiamondRow[] {
  const rng = new Rng(seed);
  const rows: DiamondRow[] = [];
  for (let i = 0; i < n; i++) {
    const cut = pick(rng, CUT_P), color = pick(rng, COLOR_P), clarity = pick(rng, CLARITY_P);
    // skewed carat with heaping on the "magic" sizes jewellers cut to
    let carat = Math.exp(-0.39 + 0.58 * rng.normal());
    if (rng.random() < 0.35) {
      const magic = [0.3, 0.4, 0.5, 0.7, 0.9, 1.0, 1.01, 1.2, 1.5, 2.0];
      const above = magic.find((m) => m >= carat - 0.04);
      if (above !== undefined && above - carat < 0.08) carat = above;
    }
    carat = r2(Math.min(5.01, Math.max(0.2, carat)));
    const ideal = cut === 4, fair = cut === 0;
    const depth = Math.round((61.75 + (fair ? 2.3 : 0) + (ideal ? -0.05 : 0) + rng.normal() * (fair ? 3.2 : ideal ? 0.7 : 1.3)) * 10) / 10;
    const table = Math.round(([59.0, 58.7, 58.0, 58.7, 56.0][cut]! + rng.normal() * (ideal ? 1.2 : 2.0)) * 2) / 2;
    const x = r2(6.45 * Math.cbrt(carat) * (1 + 0.012 * rng.normal()));
    const y = r2(x * (1 + 0.006 * rng.normal()));
    const z = r2((depth / 100) * (x + y) / 2);
    const lc = Math.log(carat);
    const grow = 1 + 0.35 * Math.max(-1, Math.min(1.2, lc));
    const logPrice = 8.7 + 1.75 * lc - 0.12 * lc * lc
      + grow * (COLOR_EFF[color]! + CLARITY_EFF[clarity]!) + CUT_EFF[cut]!
      - 0.025 * Math.abs(depth - 61.8) - 0.01 * Math.max(0, table - 60)
      + 0.09 * rng.normal();
    const price = Math.round(Math.min(18823, Math.max(326, Math.exp(logPrice))));
    rows.push({ carat, cut: CUTS[cut]!, color: COLORS[color]!, clarity: CLARITIES[clarity]!, depth, table, price, x, y, z });
  }
  return rows;
}

const HEADER = ['carat', 'cut', 'color', 'clarity', 'depth', 'table', 'price', 'x', 'y', 'z'] as const;

function toCsv(rows: DiamondRow[]): string {
  const q = (v: string | number) => (typeof v === 'string' ? `"${v}"` : String(v));
  return HEADER.join(',') + '\n' + rows.map((r) => HEADER.map((h) => q(r[h])).join(',')).join('\n') + '\n';
}

/** Writes TRAIN and TEST CSVs from a seeded 80/20 split, so the anchor and ours score the same rows. */
export function writeDiamondsSplit(dir: string, opts: { n?: number; seed?: number } = {}): { train: string; test: string } {
  const rows = generateDiamonds(opts.n, opts.seed);
  const order = new Rng((opts.seed ?? 42) + 1).shuffle(Uint32Array.from(rows, (_, i) => i));
  const nTest = Math.round(rows.length * 0.2);
  const test = Array.from(order.subarray(0, nTest), (i) => rows[i]!);
  const train = Array.from(order.subarray(nTest), (i) => rows[i]!);
  const paths = { train: `${dir}/diamonds_train.csv`, test: `${dir}/diamonds_test.csv` };
  writeFileSync(paths.train, toCsv(train));
  writeFileSync(paths.test, toCsv(test));
  return paths;
}
