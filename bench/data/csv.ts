// Loads a train/test CSV pair for benchmarks and one-hot encodes categorical (non-numeric)
// columns the way the anchor does (pandas.get_dummies over train+test, categories sorted,
// numeric columns first), so both sides see the same features.
import { readFileSync } from 'node:fs';
import type { Matrix } from '../../src/ml/core/matrix.ts';

function parseCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
  // the generators never put commas inside quotes, so a plain split is exact here
  const split = (l: string) => l.split(',').map((c) => c.replace(/^"|"$/g, ''));
  return { header: split(lines[0]!), rows: lines.slice(1).map(split) };
}

export interface Encoded { Xtr: Matrix; ytr: Float64Array; Xte: Matrix; yte: Float64Array; features: string[] }

export function loadEncoded(trainPath: string, testPath: string, target: string): Encoded {
  const tr = parseCsv(trainPath), te = parseCsv(testPath);
  const header = tr.header;
  const ti = header.indexOf(target);
  if (ti < 0) throw new Error(`target column ${target} not in ${trainPath}`);
  const all = [...tr.rows, ...te.rows];
  const numeric: number[] = [], categorical: number[] = [];
  header.forEach((_, j) => {
    if (j === ti) return;
    (all.every((r) => r[j] !== '' && Number.isFinite(Number(r[j]))) ? numeric : categorical).push(j);
  });
  const cats = categorical.map((j) => [...new Set(all.map((r) => r[j]!))].sort());
  const features = [...numeric.map((j) => header[j]!), ...categorical.flatMap((j, k) => cats[k]!.map((c) => `${header[j]}_${c}`))];
  const encode = (rows: string[][]): { X: Matrix; y: Float64Array } => {
    const d = features.length;
    const data = new Float64Array(rows.length * d);
    const y = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      let o = i * d;
      for (const j of numeric) data[o++] = Number(r[j]);
      categorical.forEach((j, k) => {
        const c = cats[k]!;
        data[o + c.indexOf(r[j]!)] = 1;
        o += c.length;
      });
      y[i] = Number(r[ti]);
    });
    return { X: { rows: rows.length, cols: d, data }, y };
  };
  const a = encode(tr.rows), b = encode(te.rows);
  return { Xtr: a.X, ytr: a.y, Xte: b.X, yte: b.y, features };
}
