// The EDA profile on a generated table with known contents (missing values, an outlier, a gap
// month, correlated columns, an integer column, yes/no booleans, a constant column, duplicate
// rows), its HTML report (self-contained: no external reference), and the `tributary eda`
// command: the report file, --json, progress on stderr, the one wording of errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from '../../../src/analytics/eda/html.ts';
import { profileTable } from '../../../src/analytics/eda/profile.ts';
import { resolveSource } from '../../../src/cli/eda.ts';
import { contingency, cramersV } from '../../../src/ml/metrics/association.ts';
import { packageRoot } from '../../../src/util/paths.ts';
import { ingestFile } from '../../../src/warehouse/ingest.ts';
import { tmpHome } from '../../helpers.ts';
import { withWorkspace, writeLines, writeRows } from '../../fixtures/files.ts';

interface Row { ts: string; price: number; qty: number; total: number; rating: number; city: string; note: string; member: string; channel: string }

/** 100 rows, then row 1 once more and row 2 twice more: 103 rows, 3 of them duplicates. */
export function salesRows(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 100; i++) {
    const price = i === 99 ? 1000 : 10 + (i % 10);
    const qty = 1 + (i % 5);
    rows.push({
      ts: `2025-${i < 50 ? '01' : '03'}-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00`, // February is empty
      price, qty, total: price * qty, rating: 1 + (i % 12), city: i % 4 === 0 ? 'Paris' : 'Lyon', note: i % 10 === 0 ? '' : `n${i}`,
      member: i % 3 === 0 ? 'yes' : 'no', channel: 'web',
    });
  }
  rows.push(rows[1]!, rows[2]!, rows[2]!);
  return rows;
}

/** The sales rows as home/sales.csv. */
const salesCsv = (home: string, rows = salesRows()) => writeRows(home, 'sales.csv', rows);

const CLI = join(packageRoot, 'bin', 'tributary.js');
const cli = (home: string, args: string[]) => spawnSync(process.execPath, [CLI, ...args], {
  encoding: 'utf8', env: { ...process.env, TRIBUTARY_HOME: join(home, 'state') }, cwd: home,
});

test('eda profile: types, missing, distinct, integer bins, booleans, duplicates, correlations, warnings', { timeout: 120_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    const rows = salesRows();
    const file = salesCsv(home, rows);
    const src = await resolveSource(ws, file);
    const p = await profileTable(ws.wh, src.source, { textSource: src.textSource, file });
    assert.equal(p.rows, 103);
    const col = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    assert.equal(col.price!.kind, 'numeric');
    assert.equal(col.ts!.kind, 'time');
    assert.equal(col.city!.kind, 'text');
    assert.equal(col.note!.missing, 10);
    assert.equal(col.city!.distinct, 2);
    assert.deepEqual(col.city!.top, [{ value: 'Lyon', count: 78 }, { value: 'Paris', count: 25 }]);

    // booleans as the file writes them, not as DuckDB's sniffer reads them
    assert.equal(col.member!.kind, 'boolean');
    assert.deepEqual(col.member!.top.map((t) => t.value).sort(), ['no', 'yes']);

    // integer columns: whole-number bins centred on the values, one bar per value when few
    const qty = col.qty!.numeric!;
    assert.equal(qty.integer, true);
    assert.deepEqual(qty.histogram.edges, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
    assert.deepEqual(qty.histogram.counts, [1, 2, 3, 4, 5].map((v) => rows.filter((r) => r.qty === v).length));
    // discrete numbers keep a top-values list, ordered as numbers among equal counts (5 before 10)
    assert.deepEqual(col.rating!.top.map((t) => t.value), ['3', '2', '1', '4', '5', '6', '7', '8']);
    assert.equal(col.price!.numeric!.integer, true);
    const price = col.price!.numeric!;
    assert.equal(price.max, 1000);
    assert.equal(price.outliers_iqr.count, 1, 'the 1000 is the only IQR outlier');
    assert.equal(price.outliers_z.count, 1, 'and the only |z| > 3');
    assert.equal(price.histogram.counts.reduce((a, b) => a + b, 0), 103, 'the histogram counts every row');
    assert.equal(col.ts!.time!.empty_months, 1);
    assert.deepEqual(col.ts!.time!.months.map((m) => m.count), [53, 0, 50]);

    // duplicates as pandas' duplicated(): rows equal to an earlier one
    assert.equal(p.duplicates.rows, 3);
    assert.equal(p.duplicates.examples[0]!.count, 3);
    assert.equal(p.duplicates.examples[0]!.row.rating, String(rows[2]!.rating));

    // the missing-value matrix: the note column's missing values, block by block, in file order
    const noteAt = p.missing_matrix.columns.indexOf('note');
    assert.equal(p.missing_matrix.blocks.length, 100);
    assert.equal(p.missing_matrix.blocks.reduce((s, b) => s + b.missing[noteAt]!, 0), 10);
    assert.equal(p.missing_matrix.blocks[0]!.missing[noteAt], 1, 'row 0 misses its note');

    // Pearson, Spearman and Cramér's V
    const pair = p.relations.strongest.find((s) => [s.a, s.b].sort().join() === 'price,total');
    assert.ok(pair && pair.pearson! > 0.9, 'price and total are correlated');
    assert.ok(pair.spearman! > 0.3 && pair.spearman! < pair.pearson!, 'the rank correlation is not driven by the outlier');
    const cats = p.relations.cramers_v.columns;
    assert.deepEqual([...cats].sort(), ['city', 'member']);
    const code = (v: string, levels: string[]) => levels.indexOf(v);
    const expected = cramersV(contingency(
      Int32Array.from(rows, (r) => code(r.city, ['Lyon', 'Paris'])), 2, Int32Array.from(rows, (r) => code(r.member, ['no', 'yes'])), 2));
    const v = p.relations.cramers_v.matrix[cats.indexOf('city')]![cats.indexOf('member')]!;
    assert.ok(Math.abs(v - expected) < 1e-12, `${v} vs ${expected}`);
    assert.ok(p.relations.scatter.length >= 1 && p.relations.scatter[0]!.x.length === 103);

    assert.ok(p.warnings.some((w) => /channel has a single value \("web"\)/.test(w)), p.warnings.join('\n'));
    assert.ok(p.warnings.some((w) => /3 rows .* repeat an earlier row/.test(w)));
    assert.ok(p.findings.some((f) => /gap/.test(f)), 'the empty month is reported');
    assert.ok(p.findings.some((f) => /note 9\.7%/.test(f)), 'missing values are reported');

    const html = renderHtml(p);
    assert.match(html, /^<!doctype html>/);
    assert.ok((html.match(/<svg/g) ?? []).length >= 8, 'inline SVG charts');
    assert.ok((html.match(/class="tick"/g) ?? []).length >= 40, 'charts have ticks');
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external resource');
    assert.doesNotMatch(html, /<script/);
    for (const h of ['Warnings', 'Missing values', 'Duplicate rows', 'Correlations', 'Scatter plots']) assert.match(html, new RegExp(`>${h}`));
    assert.match(html, /Spearman rho/);
    assert.match(html, /Cramér&#39;s V/);
    assert.match(html, /<td class="v" title="yes">yes<\/td>/);
  });
});

test('eda of a lake table: booleans as the table stores them, integer bins', { timeout: 120_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    await ingestFile(ws.wh, salesCsv(home), { table: 'sales' });
    const p = await profileTable(ws.wh, 'raw.sales');
    const col = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    assert.deepEqual(col.member!.top.map((t) => t.value).sort(), ['false', 'true']);
    assert.ok(col.qty!.numeric!.histogram.edges.every((e) => Number.isInteger(e - 0.5)));
  });
});

test('a file read as a single column is a warning that names the likely delimiter', { timeout: 60_000 }, () => {
  const { home, cleanup } = tmpHome();
  try {
    const f = writeLines(home, 'colon.csv', ['id:name:score', '1:ann:3', '2:bob:4', '3:cy:5']);
    const r = cli(home, ['eda', f, '--out', join(home, 'r.html')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /! .*colon\.csv was read as a single column \("id:name:score"\): its header holds colons/);
    assert.match(readFileSync(join(home, 'r.html'), 'utf8'), /<h2>Warnings<\/h2>/);
  } finally {
    cleanup();
  }
});

test('tributary eda FILE --out writes the report, with progress on stderr; --json; errors', { timeout: 120_000 }, () => {
  const { home, cleanup } = tmpHome();
  try {
    const out = join(home, 'report.html');
    const r = cli(home, ['eda', salesCsv(home), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /103 rows, 9 columns/);
    assert.match(r.stderr, /\[eda 1\/5\] read .*103 rows/);
    assert.match(r.stderr, /\[eda 5\/5\] findings/);
    assert.match(r.stderr, /\[eda\] done in /);
    assert.match(readFileSync(out, 'utf8'), /<h2>Summary<\/h2>/);

    const j = cli(home, ['eda', salesCsv(home), '--out', out, '--json']);
    assert.equal(j.status, 0, j.stderr);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.rows, 103);
    assert.equal(doc.duplicates.rows, 3);
    assert.equal(doc.report, out);

    const bad = cli(home, ['eda', 'raw.nothing', '--out', out]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no such table: raw\.nothing/); // the one wording of a missing thing (src/cli/output.ts)
    const bins = cli(home, ['eda', salesCsv(home), '--bins', 'x']);
    assert.equal(bins.status, 2, 'a bad flag value is a usage error');
    assert.match(bins.stderr, /--bins must be an integer/);
    const target = cli(home, ['eda', salesCsv(home), '--target', 'nope', '--out', out]);
    assert.equal(target.status, 1);
    assert.match(target.stderr, /no such column: nope \(columns: ts, price/);
  } finally {
    cleanup();
  }
});

test('eda time span of DATE columns', { timeout: 60_000 }, async () => {
  await withWorkspace(async ({ ws }) => {
    const p = await profileTable(ws.wh, `(SELECT DATE '2025-01-01' + CAST(i AS INTEGER) AS d, i AS v FROM range(10) t(i))`);
    const d = p.columns.find((c) => c.name === 'd')!;
    assert.equal(d.kind, 'time');
    assert.equal(d.time!.days, 9);
    assert.equal(d.distinct, 10);
  });
});
