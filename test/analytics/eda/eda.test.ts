// The EDA profile on a small table with known contents (missing values, an outlier, a gap
// month, a correlated pair), its HTML report (self-contained: no external reference), and the
// `tributary eda` command writing the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from '../../../src/analytics/eda/html.ts';
import { profileTable } from '../../../src/analytics/eda/profile.ts';
import { packageRoot } from '../../../src/util/paths.ts';
import { ingestFile } from '../../../src/warehouse/ingest.ts';
import { openWorkspace } from '../../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../../helpers.ts';

function fixture(dir: string): string {
  const lines = ['ts,price,qty,total,city,note'];
  for (let i = 0; i < 100; i++) {
    const month = i < 50 ? '01' : '03'; // February is empty
    const price = i === 99 ? 1000 : 10 + (i % 10);
    const qty = 1 + (i % 5);
    lines.push(`2025-${month}-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00,${price},${qty},${price * qty},${i % 4 === 0 ? 'Paris' : 'Lyon'},${i % 10 === 0 ? '' : 'n' + i}`);
  }
  const f = join(dir, 'sales.csv');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

test('eda profile: types, missing, distinct, outliers, correlations, coverage, findings', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  try {
    await ingestFile(ws.wh, fixture(home), { table: 'sales' });
    const p = await profileTable(ws.wh, 'raw.sales');
    assert.equal(p.rows, 100);
    const col = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    assert.equal(col.price!.kind, 'numeric');
    assert.equal(col.ts!.kind, 'time');
    assert.equal(col.city!.kind, 'text');
    assert.equal(col.note!.missing, 10);
    assert.equal(col.note!.missing_share, 0.1);
    assert.equal(col.city!.distinct, 2);
    assert.deepEqual(col.city!.top, [{ value: 'Lyon', count: 75 }, { value: 'Paris', count: 25 }]);
    const price = col.price!.numeric!;
    assert.equal(price.max, 1000);
    assert.equal(price.outliers_iqr.count, 1, 'the 1000 is the only IQR outlier');
    assert.equal(price.outliers_z.count, 1, 'and the only |z| > 3');
    assert.equal(price.histogram.reduce((a, b) => a + b.count, 0), 100, 'the histogram counts every row');
    assert.equal(col.ts!.time!.empty_months, 1);
    assert.deepEqual(col.ts!.time!.months.map((m) => m.count), [50, 0, 50]);
    assert.equal(p.coverage!.column, 'ts');
    const r = p.correlations.strongest.find((s) => [s.a, s.b].sort().join() === 'price,total');
    assert.ok(r && r.r > 0.9, 'price and total are correlated');
    assert.ok(p.findings.some((f) => /gap/.test(f)), 'the empty month is reported');
    assert.ok(p.findings.some((f) => /note 10\.0%/.test(f)), 'missing values are reported');

    const html = renderHtml(p);
    assert.match(html, /^<!doctype html>/);
    assert.ok((html.match(/<svg/g) ?? []).length >= 5, 'inline SVG charts');
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external resource');
    assert.doesNotMatch(html, /<script/);
    assert.match(html, /Correlations/);
    assert.match(html, /outliers \(IQR\)/);
  } finally {
    await ws.close();
    cleanup();
  }
});

test('tributary eda FILE --out writes the report', { timeout: 120_000 }, () => {
  const { home, cleanup } = tmpHome();
  try {
    const out = join(home, 'report.html');
    const r = spawnSync(process.execPath, [join(packageRoot, 'bin', 'tributary.js'), 'eda', fixture(home), '--out', out], {
      encoding: 'utf8', env: { ...process.env, TRIBUTARY_HOME: join(home, 'state') }, cwd: home,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /100 rows, 6 columns/);
    assert.match(readFileSync(out, 'utf8'), /<h2>Summary<\/h2>/);
    const bad = spawnSync(process.execPath, [join(packageRoot, 'bin', 'tributary.js'), 'eda', 'raw.nothing', '--out', out], {
      encoding: 'utf8', env: { ...process.env, TRIBUTARY_HOME: join(home, 'state') }, cwd: home,
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no such table: raw\.nothing/); // the one wording of a missing thing (src/cli/output.ts)
  } finally {
    cleanup();
  }
});

test('eda time span of DATE columns', { timeout: 60_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  try {
    const p = await profileTable(ws.wh, `(SELECT DATE '2025-01-01' + CAST(i AS INTEGER) AS d, i AS v FROM range(10) t(i))`);
    const d = p.columns.find((c) => c.name === 'd')!;
    assert.equal(d.kind, 'time');
    assert.equal(d.time!.days, 9);
    assert.equal(d.distinct, 10);
  } finally {
    await ws.close();
    cleanup();
  }
});
