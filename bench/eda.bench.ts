// `tributary eda` against pandas + scipy (bench/anchors/eda_pandas.py: what ydata-profiling
// computes its figures with) on the same files, in one run: the time to read and profile
// (ours: every statistic of the report, charts' data included; pandas: read_csv, duplicated,
// isna, nunique, describe, skew, Pearson and Spearman corr, Cramér's V) and the largest
// difference of every figure; then the drift of two halves of each data set (ours: PSI, KS and
// chi-squared per column; scipy: ks_2samp and chi2_contingency). Data sets: the Online Retail
// file and MovieLens ratings (../shared/data, skipped with a note when missing) and a generated
// 200,000-row orders file (always there). Reports land in bench/out/eda/ to look at.
// Usage: npm run bench -- eda [generatedRows=200000]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTables } from '../src/analytics/eda/compare.ts';
import { renderCompareHtml, renderHtml } from '../src/analytics/eda/html.ts';
import { profileMaterialized, type EdaProfile } from '../src/analytics/eda/profile.ts';
import { materialize } from '../src/analytics/eda/source.ts';
import { resolveSource } from '../src/cli/eda.ts';
import { loadConfig } from '../src/config/index.ts';
import { Rng } from '../src/ml/core/rng.ts';
import { packageRoot, sharedPath } from '../src/util/paths.ts';
import { openWorkspace } from '../src/warehouse/workspace.ts';
import { PYTHON, benchOut, report, speedup, timeIt, type Row } from './lib.ts';

const generatedRows = Number(process.argv[2] ?? 200_000);
const dir = join(benchOut, 'eda');
mkdirSync(dir, { recursive: true });

const versions = spawnSync(PYTHON, ['-c', 'import pandas, scipy; print(pandas.__version__, scipy.__version__)'], { encoding: 'utf8' });
if (versions.status !== 0) {
  console.error(`the anchor needs pandas and scipy: ${PYTHON} cannot import them (apt-get install -y python3-pandas python3-scipy)`);
  process.exit(1);
}
const [pdv, spv] = versions.stdout.trim().split(' ');
console.log(`anchor: ${PYTHON}, pandas ${pdv}, scipy ${spv}; load: ${spawnSync('uptime', { encoding: 'utf8' }).stdout.trim()}`);

/** Orders with integers, money, yes/no, categories, a date, missing coupons and a few duplicates; prices rise mid-year. */
function orders(n: number): string {
  const rng = new Rng(11);
  const countries = ['United Kingdom', 'Germany', 'France', 'EIRE', 'Spain', 'Netherlands', 'Belgium', 'Switzerland'];
  const lines = ['order_date,items,unit_price,amount,country,member,coupon,rating'];
  for (let i = 0; i < n; i++) {
    const day = 1 + rng.int(360);
    const items = 1 + Math.floor(-Math.log(1 - rng.random()) * 4);
    const price = Math.round((2 + 30 * rng.random() ** 2 + (day > 180 ? 3 : 0)) * 100) / 100;
    const member = rng.random() < 0.3 ? 'yes' : 'no';
    const country = countries[Math.min(countries.length - 1, Math.floor(-Math.log(1 - rng.random()) * 2))]!;
    const coupon = rng.random() < 0.2 ? '' : `C${(member === 'yes' ? 2 : 0) + rng.int(3)}`;
    const rating = member === 'yes' ? 3 + rng.int(3) : 1 + rng.int(5);
    const date = new Date(Date.UTC(2024, 0, day)).toISOString().slice(0, 10);
    lines.push(`${date},${items},${price},${(items * price).toFixed(2)},${country},${member},${coupon},${rating}`);
    if (i % 1000 === 0) lines.push(lines[lines.length - 1]!);
  }
  return lines.join('\n') + '\n';
}

interface DataSet { name: string; file: string | null; split: { column: string; value: string; sql: string } }
const generated = join(dir, 'orders.csv');
writeFileSync(generated, orders(generatedRows));
const sets: DataSet[] = [
  {
    name: 'online-retail',
    file: sharedPath('data', 'online-retail.csv.gz') ?? null,
    split: { column: 'InvoiceDate', value: '2011-06-01', sql: `"InvoiceDate" < TIMESTAMP '2011-06-01'` },
  },
  {
    name: 'movielens-ratings',
    file: sharedPath('data', 'movielens-small', 'ratings.csv') ?? null,
    split: { column: 'timestamp', value: '1262304000', sql: `"timestamp" < 1262304000` },
  },
  { name: 'generated-orders', file: generated, split: { column: 'order_date', value: '2024-06-29', sql: `order_date < DATE '2024-06-29'` } },
];

const maxAbs = (a: (number | null)[][], b: (number | null)[][]) => {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => { const w = b[i]?.[j]; if (v !== null && w !== null && w !== undefined) m = Math.max(m, Math.abs(v - w)); }));
  return m;
};
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));

const home = join(dir, 'home');
const ws = await openWorkspace({ config: loadConfig({ home, logLevel: 'silent' }, {}) });
const rows: Row[] = [], drifts: Row[] = [];
try {
  for (const set of sets) {
    if (!set.file) { console.log(`${set.name}: skipped, the data set is not in ../shared/data`); continue; }
    const src = await resolveSource(ws, set.file);
    const ours = await timeIt(async () => {
      const m = await materialize(ws.wh, src.source, src.textSource);
      try { return await profileMaterialized(ws.wh, m, set.name, { file: set.file! }); } finally { await m.drop(); }
    });
    const p: EdaProfile = ours.value;
    writeFileSync(join(dir, `${set.name}.html`), renderHtml(p, { generatedAt: new Date() }));
    const num = p.relations.pearson.columns, cat = p.relations.cramers_v.columns;
    const anchor = spawnSync(PYTHON, [
      join(packageRoot, 'bench', 'anchors', 'eda_pandas.py'),
      set.file,
      num.join(',') || '-',
      cat.join(',') || '-',
      set.split.column,
      set.split.value,
    ],
    { encoding: 'utf8', maxBuffer: 256 << 20 });
    if (anchor.status !== 0) throw new Error(`anchor failed on ${set.name}: ${anchor.stderr}`);
    const a = JSON.parse(anchor.stdout.trim().split('\n').at(-1)!);
    const col = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    const missingDiff = Object.entries(a.missing as Record<string, number>).filter(([c, v]) => col[c]?.missing !== v).map(([c]) => c);
    const distinctDiff = Object.entries(a.distinct as Record<string, number>).filter(
      ([c, v]) => col[c]?.distinct !== v,
    ).map(([c, v]) => `${c} ${col[c]?.distinct}/${v}`);
    let summaryRel = 0;
    for (const [c, d] of Object.entries(a.numeric as Record<string, Record<string, number>>)) {
      const n = col[c]!.numeric!;
      summaryRel = Math.max(summaryRel, rel(n.mean, d.mean!), rel(n.std, d.std_pop!), rel(n.q1, d.q1!), rel(n.median, d.median!), rel(n.q3, d.q3!));
    }
    rows.push({
      name: set.name, rows: p.rows, ours_s: ours.s, pandas_s: a.seconds, ratio: speedup(a.seconds, ours.s),
      duplicates: `${p.duplicates.rows}/${a.duplicates}`,
      missing_mismatch: missingDiff.join(' ') || 'none', distinct_mismatch: distinctDiff.join(' ') || 'none',
      summary_max_rel: summaryRel, pearson_max_abs: maxAbs(p.relations.pearson.matrix, a.pearson),
      spearman_max_abs: maxAbs(p.relations.spearman.matrix, a.spearman),
      cramers_v_max_abs: cat.length >= 2 ? maxAbs(p.relations.cramers_v.matrix, a.cramers_v) : 'n/a',
    });

    // drift of the two halves
    const halves = [`(SELECT * FROM ${src.source} WHERE ${set.split.sql})`, `(SELECT * FROM ${src.source} WHERE NOT (${set.split.sql}))`];
    // the text read only names the booleans' words: the whole file's serve both halves
    const [ma, mb] = [await materialize(ws.wh, halves[0]!, src.textSource), await materialize(ws.wh, halves[1]!, src.textSource)];
    try {
      const [pa, pb] = [await profileMaterialized(ws.wh, ma, `${set.name} before`), await profileMaterialized(ws.wh, mb, `${set.name} after`)];
      const c = await timeIt(() => compareTables(ws.wh, { m: ma, p: pa }, { m: mb, p: pb }));
      writeFileSync(join(dir, `${set.name}-compare.html`), renderCompareHtml(c.value, { labels: ['before', 'after'] }));
      let ksDiff = 0;
      const ps: string[] = [];
      for (const d of c.value.columns) {
        const s = a.drift[d.column];
        if (!s) continue;
        if (s.ks !== undefined && d.ks !== undefined) {
          ksDiff = Math.max(ksDiff, Math.abs(d.ks - s.ks));
          ps.push(`${d.column} ${d.ks_pvalue!.toExponential(1)}/${s.ks_pvalue.toExponential(1)}`);
        }
        if (s.chi2_pvalue !== undefined && d.chi2_pvalue !== undefined) {
          ps.push(`${d.column} chi2 ${d.chi2_pvalue.toExponential(1)}/${s.chi2_pvalue.toExponential(1)}`);
        }
      }
      drifts.push({
        name: set.name, rows: `${ma.rows}/${mb.rows}`, anchor_rows: a.drift_rows.join('/'), ours_s: c.s, scipy_s: a.drift_seconds,
        ratio: speedup(a.drift_seconds, c.s),
        ks_max_abs: ksDiff, p_ours_scipy: ps.join('; '), drifted: c.value.columns.filter(
          (d) => d.verdict !== 'stable',
        ).map((d) => `${d.column}:${d.verdict}`).join(' ') ||
          'none',
      });
    } finally { await ma.drop(); await mb.drop(); }
  }
} finally {
  await ws.close();
}
report('eda profile: ours vs pandas + scipy (read + profile), figures compared', rows);
report('eda --compare: two halves, ours (PSI, KS, chi-squared) vs scipy ks_2samp / chi2_contingency', drifts);
console.log(`\nreports: ${dir}/*.html`);
