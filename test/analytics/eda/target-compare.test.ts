// `eda --target` ranks columns by their relation to a target (generated data where the answer is
// known), and `eda A --compare B` reports the drift of a shifted column and not of the others,
// for two files and for two snapshots of one lake table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTables } from '../../../src/analytics/eda/compare.ts';
import { renderCompareHtml, renderHtml } from '../../../src/analytics/eda/html.ts';
import { profileMaterialized, profileTable } from '../../../src/analytics/eda/profile.ts';
import { materialize } from '../../../src/analytics/eda/source.ts';
import { resolveSource } from '../../../src/cli/eda.ts';
import { Rng } from '../../../src/ml/core/rng.ts';
import { packageRoot } from '../../../src/util/paths.ts';
import { ingestFile } from '../../../src/warehouse/ingest.ts';
import { openWorkspace } from '../../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../../helpers.ts';
import { withWorkspace, writeRows } from '../../fixtures/files.ts';

const normal = (rng: Rng) => Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());

/** y = 3 x1 + segment offset + noise (slope 3 unless given); x2 is noise; churned is "yes" mostly in segment C. */
function customers(n: number, seed: number, opts: { priceMean?: number; slope?: number } = {}): Record<string, string | number>[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const x1 = rng.random() * 10, x2 = rng.random() * 10;
    const seg = ['A', 'B', 'C'][rng.int(3)]!;
    const y = (opts.slope ?? 3) * x1 + (seg === 'C' ? 8 : 0) + normal(rng);
    const churned = seg === 'C' ? (rng.random() < 0.8 ? 'yes' : 'no') : (rng.random() < 0.1 ? 'yes' : 'no');
    return {
      x1: Number(x1.toFixed(3)),
      x2: Number(x2.toFixed(3)),
      seg,
      churned,
      y: Number(y.toFixed(3)),
      price: Number(((opts.priceMean ?? 10) + 2 * normal(rng)).toFixed(2)),
      visits: 1 + rng.int(6),
    };
  });
}

/** max |F_a(x) - F_b(x)| by brute force over every value: the KS statistic, computed independently. */
function ksBrute(a: number[], b: number[]): number {
  let d = 0;
  for (const x of [...a, ...b]) d = Math.max(d, Math.abs(a.filter((v) => v <= x).length / a.length - b.filter((v) => v <= x).length / b.length));
  return d;
}

test('eda --target: a numeric target ranks its driver first, then the segment; noise last', { timeout: 120_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    const f = writeRows(home, 'c.csv', customers(600, 1));
    const src = await resolveSource(ws, f);
    const p = await profileTable(ws.wh, src.source, { textSource: src.textSource, target: 'y' });
    const t = p.target!;
    assert.equal(t.kind, 'numeric');
    assert.equal(t.rows, 600);
    const names = t.relations.map((r) => r.column);
    assert.equal(names[0], 'x1');
    const x1 = t.relations[0]!, seg = t.relations.find((r) => r.column === 'seg')!, x2 = t.relations.find((r) => r.column === 'x2')!;
    assert.equal(x1.measure, 'spearman');
    assert.ok(x1.strength > 0.8 && x1.pearson! > 0.8, `x1: ${x1.strength}`);
    assert.equal(seg.measure, 'eta');
    assert.ok(seg.strength > 0.3 && seg.strength < x1.strength, `seg: ${seg.strength}`);
    assert.ok(x2.strength < 0.15, `x2 is noise: ${x2.strength}`);
    // the chart data: mean y per segment, C's mean about 8 above the others
    const g = seg.groups!;
    const mean = (s: string) => g.values[g.labels.indexOf(s)]!;
    assert.ok(mean('C') - mean('A') > 5 && mean('C') - mean('B') > 5);
    assert.match(renderHtml(p), /<h2 id="target">Target: y<\/h2>/);

    // a categorical target (yes/no as the file spells it): Cramér's V for the segment, eta for numbers
    const c = (await profileTable(ws.wh, src.source, { textSource: src.textSource, target: 'churned' })).target!;
    assert.equal(c.kind, 'categorical');
    assert.deepEqual(c.classes!.map((k) => k.label), ['no', 'yes']);
    assert.equal(c.focus, 'yes');
    assert.equal(c.relations[0]!.column, 'seg');
    assert.equal(c.relations[0]!.measure, 'cramers_v');
    assert.ok(c.relations[0]!.strength > 0.5);
    const segC = c.relations[0]!.groups!;
    assert.ok(segC.values[segC.labels.indexOf('C')]! > 0.6, 'the share of churned = yes in segment C');
    assert.equal(c.relations.find((r) => r.column === 'x2')!.measure, 'eta');
  });
});

test('eda --compare: the shifted column drifts, the others do not', { timeout: 120_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    const ra = customers(800, 2), rb = customers(800, 3, { priceMean: 13 });
    const [fa, fb] = [writeRows(home, 'a.csv', ra), writeRows(home, 'b.csv', rb)];
    const sa = await resolveSource(ws, fa), sb = await resolveSource(ws, fb);
    const ma = await materialize(ws.wh, sa.source, sa.textSource), mb = await materialize(ws.wh, sb.source, sb.textSource);
    const pa = await profileMaterialized(ws.wh, ma, 'a.csv'), pb = await profileMaterialized(ws.wh, mb, 'b.csv');
    const c = await compareTables(ws.wh, { m: ma, p: pa }, { m: mb, p: pb });
    await ma.drop(); await mb.drop();
    const by = Object.fromEntries(c.columns.map((d) => [d.column, d]));
    assert.equal(c.columns[0]!.column, 'price', 'the most drifted column first');
    assert.equal(by.price!.verdict, 'shifted');
    assert.ok(by.price!.psi > 0.25, `psi ${by.price!.psi}`);
    assert.ok(Math.abs(by.price!.ks! - ksBrute(ra.map((r) => r.price as number), rb.map((r) => r.price as number))) < 1e-12);
    assert.ok(by.price!.ks_pvalue! < 1e-10);
    assert.ok(by.price!.mean![1] - by.price!.mean![0] > 2.5);
    for (const name of ['x1', 'x2', 'y', 'seg', 'churned', 'visits']) assert.equal(by[name]!.verdict, 'stable', `${name}: psi ${by[name]!.psi}`);
    assert.ok(by.seg!.chi2_pvalue! > 0.001);
    assert.ok(c.findings.some((f) => /^price shifted: PSI .*KS D/.test(f)), c.findings.join('\n'));
    assert.deepEqual(c.only_a, []);
    const html = renderCompareHtml(c);
    assert.match(html, /<td class="shifted">shifted<\/td>/);
    assert.doesNotMatch(html, /<script|(src|href)="(https?:)?\/\//);
  });
});

test('tributary eda raw.t@1 --compare raw.t@2: two snapshots of one lake table', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const config = testConfig(home);
  const ws = await openWorkspace({ config });
  try {
    await ingestFile(ws.wh, writeRows(home, 'a.csv', customers(500, 4)), { table: 'cust' });
    await ingestFile(ws.wh, writeRows(home, 'b.csv', customers(1500, 5, { priceMean: 16 })), { table: 'cust' });
  } finally {
    await ws.close();
  }
  try {
    const out = join(home, 'drift.html');
    const r = spawnSync(process.execPath, [join(packageRoot, 'bin', 'tributary.js'), 'eda', 'raw.cust@1', '--compare', 'raw.cust@2', '--out', out, '--json'], {
      encoding: 'utf8', env: { ...process.env, TRIBUTARY_HOME: config.home }, cwd: home,
    });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.a.rows, 500);
    assert.equal(doc.b.rows, 2000);
    const price = doc.columns.find((d: { column: string }) => d.column === 'price');
    assert.equal(price.verdict, 'shifted');
    assert.equal(doc.columns[0].column, 'price');
    assert.match(r.stderr, /\[eda 1\/\d+\] read raw\.cust@1 .*500 rows/);
    // the file's seven columns (an unpartitioned lake table has no dt column of its own)
    assert.match(r.stderr, /drift .*1 of 7 columns drifted/);
    assert.match(readFileSync(out, 'utf8'), /EDA comparison: raw\.cust@1 vs raw\.cust@2/);
    const missing = spawnSync(process.execPath, [join(packageRoot, 'bin', 'tributary.js'), 'eda', 'raw.cust@9', '--compare', 'raw.cust@1'], {
      encoding: 'utf8', env: { ...process.env, TRIBUTARY_HOME: config.home }, cwd: home,
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no such snapshot: raw\.cust@9 \(raw\.cust is at snapshot 2\)/);
  } finally {
    cleanup();
  }
});

test('eda A --compare B --target y: identifier-like columns skipped, not shifted; a broken relation to the target reported', { timeout: 120_000 }, () => {
  const { home, cleanup } = tmpHome();
  try {
    // a new batch of orders: new order ids and customer names (they always differ), and y no longer follows x1
    const withIds = (rows: Record<string, string | number>[], from: number) => rows.map((r, i) => ({ order_id: from + i, name: `cust-${from + i}`, ...r }));
    const fa = writeRows(home, 'a.csv', withIds(customers(800, 2), 0));
    const fb = writeRows(home, 'b.csv', withIds(customers(800, 3, { slope: 0 }), 5000));
    const eda = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'tributary.js'), 'eda', ...args], {
      encoding: 'utf8', env: { ...process.env, TRIBUTARY_HOME: join(home, 'state') }, cwd: home,
    });
    const r = eda(fa, '--compare', fb, '--target', 'y', '--out', join(home, 'd.html'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    const skipped = doc.skipped.map((s: { column: string; reason: string }) => [s.column, s.reason]);
    assert.deepEqual(skipped, [['order_id', 'identifier-like'], ['name', 'identifier-like']]);
    assert.ok(!doc.columns.some((d: { column: string }) => d.column === 'order_id' || d.column === 'name'), 'ids are not drift');
    assert.ok(doc.findings.some((f: string) => /^Not compared, identifier-like .*: order_id, name\.$/.test(f)), doc.findings.join('\n'));
    assert.equal(doc.target.column, 'y');
    const x1 = doc.target.relations[0];
    assert.equal(x1.column, 'x1', 'the relation that moved most first');
    assert.equal(x1.measure, 'spearman');
    assert.ok(x1.strength[0] > 0.8 && x1.strength[1] < 0.2, JSON.stringify(x1));
    assert.ok(doc.findings.some((f: string) => /^x1's relation to y weakened: Spearman \|rho\| 0\.\d\d → 0\.\d\d\.$/.test(f)), doc.findings.join('\n'));
    const html = readFileSync(join(home, 'd.html'), 'utf8');
    assert.match(html, /<h2>Relations to y<\/h2>/);
    assert.match(html, /Not compared: order_id \(identifier-like/);
    // the target must be in both tables, and the error names the one without it
    const missing = eda(fa, '--compare', fb, '--target', 'nope', '--out', join(home, 'e.html'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /a\.csv: .*nope/);
  } finally {
    cleanup();
  }
});
