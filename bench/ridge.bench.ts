// Ridge: (1) accuracy - our coefficients against the closed form solved independently in float64
// by numpy (np.linalg.solve on the centred normal equations) on the same matrix; (2) fit time
// against scikit-learn's Ridge on the same data. Data: seeded, with wide offsets and scales
// (the conditions where careless normal equations lose digits), written once as .npy files.
// Usage: npm run bench -- ridge [n=200000] [d=40] [alpha=1]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchOut, PYTHON, report, speedup, timeIt } from './lib.ts';
import { Ridge } from '../src/ml/linear/index.ts';
import { Rng } from '../src/ml/core/rng.ts';
import { verdict } from './data/verdict.ts';

const n = Number(process.argv[2] ?? 200_000), d = Number(process.argv[3] ?? 40), alpha = Number(process.argv[4] ?? 1);
const rng = new Rng(7);
const X = new Float64Array(n * d), y = new Float64Array(n);
const scale = Float64Array.from({ length: d }, (_, j) => 10 ** ((j % 7) - 3)), offset = Float64Array.from({ length: d }, (_, j) => (j % 5) * 1000);
const w = Float64Array.from({ length: d }, () => rng.normal());
for (let i = 0; i < n; i++) {
  let s = 3;
  for (let j = 0; j < d; j++) { const x = offset[j]! + scale[j]! * rng.normal(); X[i * d + j] = x; s += (w[j]! / scale[j]!) * x; }
  y[i] = s + rng.normal();
}

function npy(path: string, data: Float64Array, shape: number[]): void {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header = header.padEnd(header.length + ((64 - (total % 64)) % 64), ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1'); head[6] = 1; head[7] = 0; head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}
const xPath = join(benchOut, 'ridge_X.npy'), yPath = join(benchOut, 'ridge_y.npy');
npy(xPath, X, [n, d]); npy(yPath, y, [n]);

const py = `
import json, sys, time, numpy as np
from sklearn.linear_model import Ridge
X = np.load(sys.argv[1]); y = np.load(sys.argv[2]); a = float(sys.argv[3])
xm = X.mean(0); ym = y.mean(); Xc = X - xm
w = np.linalg.solve(Xc.T @ Xc + a * np.eye(X.shape[1]), Xc.T @ (y - ym))
b = ym - xm @ w
t = time.perf_counter(); m = Ridge(alpha=a).fit(X, y); dt = time.perf_counter() - t
print(json.dumps(dict(coef=w.tolist(), intercept=float(b), sk_s=dt, sk_coef=m.coef_.tolist(), sk_intercept=float(m.intercept_))))
`;
const r = spawnSync(PYTHON, ['-c', py, xPath, yPath, String(alpha)], { encoding: 'utf8', maxBuffer: 64 << 20 });
if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
const ref = JSON.parse(r.stdout.trim().split('\n').pop()!) as { coef: number[]; intercept: number; sk_s: number; sk_coef: number[]; sk_intercept: number };

const fit = await timeIt(() => new Ridge({ alpha }).fit({ rows: n, cols: d, data: X }, y));
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let j = 0; j < b.length; j++) m = Math.max(m, Math.abs(a[j]! - b[j]!) / Math.max(Math.abs(b[j]!), 1e-300));
  return m;
};
const ours = [...fit.value.coef, fit.value.intercept];
const closed = [...ref.coef, ref.intercept];
report(`Ridge ${n}x${d}, alpha=${alpha}`, [
  { name: 'sklearn.Ridge', s: ref.sk_s, max_rel_err_vs_closed_form: rel([...ref.sk_coef, ref.sk_intercept], closed) },
  {
    name: 'ours Ridge (Cholesky)',
    s: fit.s,
    max_rel_err_vs_closed_form: rel(ours, closed),
    within_1e9: rel(ours, closed) <= 1e-9,
    vs_sklearn: speedup(ref.sk_s, fit.s),
  },
]);
verdict(`Ridge ${n}x${d}, alpha=${alpha}`, [
  { what: 'max relative error of coefficients and intercept vs closed form', value: rel(ours, closed), target: 1e-9, cmp: '<=' },
]);
