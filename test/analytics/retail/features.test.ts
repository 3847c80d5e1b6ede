// The spend model's features at a cutoff read only sales strictly before it: purchases on or
// after the cutoff (added to the lake and rebuilt through the same SQL models) change the target
// but not one feature value. Also: the forecast's feature rows read only past periods, the
// taxonomy categorises descriptions, and the cached silhouette equals the ML core's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { customerFeatures, customerFeaturesAt, productCategories, spendAfter, spendAfterAt, topCountries } from '../../../src/analytics/retail/features.ts';
import { featureRow } from '../../../src/analytics/retail/forecast.ts';
import { COMMERCE_MODELS } from '../../../src/pipeline/retail.ts';
import { logStandardise } from '../../../src/analytics/retail/segments.ts';
import { SilhouetteScorer } from '../../../src/ml/cluster/silhouette-scorer.ts';
import { KMeans } from '../../../src/ml/cluster/index.ts';
import { silhouette } from '../../../src/ml/metrics/index.ts';
import { ingestFile } from '../../../src/warehouse/ingest.ts';
import { buildModels } from '../../../src/warehouse/models.ts';
import { openWorkspace, type Workspace } from '../../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../../helpers.ts';

let seq = 0;
function line(customer: string, ts: string, invoice: string, qty: number, price: number, description = 'RED RETROSPOT MUG', country = 'France') {
  return {
    event_id: `t-${++seq}`,
    type: 'order_line',
    ts,
    invoice_no: invoice,
    stock_code: '85123A',
    description,
    quantity: qty,
    unit_price: price,
    customer_id: customer,
    country,
    category: null,
  };
}

async function load(ws: Workspace, dir: string, name: string, rows: object[]): Promise<void> {
  const f = join(dir, `${name}.ndjson`);
  writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await ingestFile(ws.wh, f, { table: 'order_line', format: 'ndjson' });
  await buildModels(ws.wh, { only: COMMERCE_MODELS });
}

test('features at a cutoff cannot see a purchase on or after it (no leakage)', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  try {
    const rows = [];
    for (let c = 0; c < 12; c++) {
      for (let m = 1; m <= 6; m++) {
        if ((c + m) % 3 === 0) continue;
        rows.push(line(`c${c}`, `2025-0${m}-1${c % 9}T10:00:00Z`, `I${c}-${m}`, 1 + c, 2.5 + m,
          m % 2 ? 'CHRISTMAS BAUBLE SET' : 'RED RETROSPOT MUG', c % 4 === 0 ? 'Germany' : 'France'));
      }
    }
    await load(ws, home, 'base', rows);
    const cutoff = new Date('2025-05-01T00:00:00Z');
    const categories = await productCategories(ws.wh);
    assert.deepEqual(categories, ['christmas', 'kitchen'], 'descriptions categorised by the keyword taxonomy');
    const countries = await topCountries(ws.wh, cutoff);
    const before = await customerFeatures(ws.wh, { cutoff, categories, countries });
    const yBefore = await spendAfter(ws.wh, before.ids, cutoff, 90);

    // a big purchase exactly at the cutoff and another after it, by an existing customer and by
    // a new one, in a new category and from a new country
    await load(ws, home, 'late', [
      line('c1', '2025-05-01T00:00:00Z', 'LATE1', 500, 100, 'PARTY BUNTING', 'Japan'),
      line('c1', '2025-06-20T09:00:00Z', 'LATE2', 100, 10, 'GARDEN TROWEL', 'Japan'),
      line('new', '2025-05-02T09:00:00Z', 'LATE3', 10, 10),
    ]);
    const after = await customerFeatures(ws.wh, { cutoff, categories, countries });
    assert.deepEqual(after.ids, before.ids, 'no new customer before the cutoff');
    assert.deepEqual(after.columns, before.columns);
    assert.deepEqual(Array.from(after.X.data), Array.from(before.X.data), 'every feature value unchanged');
    assert.deepEqual(Array.from(after.last90), Array.from(before.last90));
    assert.deepEqual(after.country, before.country);
    // ...while the target does see them
    const yAfter = await spendAfter(ws.wh, after.ids, cutoff, 90);
    const i = after.ids.indexOf('c1');
    assert.equal(yAfter[i]! - yBefore[i]!, 500 * 100 + 100 * 10);

    // recency and frequency by hand for one customer
    const j = before.ids.indexOf('c4'), d = before.columns.length;
    const c4 = rows.filter((r) => r.customer_id === 'c4' && new Date(r.ts) < cutoff);
    const last = Math.max(...c4.map((r) => new Date(r.ts).getTime()));
    assert.ok(Math.abs(before.X.data[j * d]! - (cutoff.getTime() - last) / 86_400_000) < 1e-9);
    assert.equal(before.X.data[j * d + 1], new Set(c4.map((r) => r.invoice_no)).size);
    assert.equal(before.X.data[j * d + before.columns.indexOf('country_Germany')], 1);
  } finally {
    await ws.close();
    cleanup();
  }
});

test('features at several cutoffs at once equal those of each cutoff alone; a country tie goes to the first country bought from', {
  timeout: 120_000,
}, async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  try {
    const rows = [];
    for (let c = 0; c < 8; c++) {
      for (let m = 1; m <= 8; m++) {
        if ((c * m) % 5 === 1) continue;
        rows.push(line(`c${c}`, `2025-0${m}-0${1 + (c % 8)}T1${c % 10}:00:00Z`, `I${c}-${m}`, 1 + c, 1.5 + m,
          m % 3 ? 'CHRISTMAS BAUBLE SET' : 'RED RETROSPOT MUG', m < 4 ? 'France' : 'Germany'));
      }
    }
    // one line each from two countries, Germany first; and an invoice spanning a cutoff
    rows.push(line('tie', '2025-02-03T09:00:00Z', 'T1', 1, 5, 'RED RETROSPOT MUG', 'Germany'));
    rows.push(line('tie', '2025-02-04T09:00:00Z', 'T2', 1, 5, 'RED RETROSPOT MUG', 'France'));
    rows.push(line('span', '2025-03-31T23:00:00Z', 'S1', 2, 3), line('span', '2025-04-01T01:00:00Z', 'S1', 4, 3));
    await load(ws, home, 'lines', rows);
    const cutoffs = ['2025-03-01', '2025-04-01T00:30:00Z', '2025-06-15', '2025-09-01'].map((d) => new Date(d));
    const opts = { categories: await productCategories(ws.wh), countries: ['France', 'Germany'] };
    const at = await customerFeaturesAt(ws.wh, cutoffs, opts);
    const targets = await spendAfterAt(ws.wh, cutoffs.map((c, k) => ({ cutoff: c, ids: at[k]!.ids })), 30);
    for (const [k, cutoff] of cutoffs.entries()) {
      const one = await customerFeatures(ws.wh, { cutoff, ...opts });
      assert.deepEqual(at[k], one, `cutoff ${k}`);
      assert.deepEqual(targets[k], await spendAfter(ws.wh, one.ids, cutoff, 30));
    }
    const last = at[3]!, t = last.ids.indexOf('tie');
    assert.equal(last.country[t], 'Germany', 'one line each: the country bought from first');
    const s = at[1]!.ids.indexOf('span'), d = at[1]!.columns.length;
    assert.equal(at[1]!.X.data[s * d + 2], 6, 'only the line before the cutoff counts');
    assert.equal(targets[1]![s], 12);
    const c2 = at[3]!.ids.indexOf('c2');
    assert.equal(at[3]!.country[c2], 'Germany', 'more lines from Germany');
  } finally {
    await ws.close();
    cleanup();
  }
});

test('forecast feature rows read only values before their period', () => {
  const y = Float64Array.from({ length: 30 }, (_, i) => 100 + i * 3 + (i % 12) * 7);
  const a = featureRow('month', y, 20, '2025-09-01', 12);
  const z = Float64Array.from(y);
  for (let t = 20; t < z.length; t++) z[t] = -1e9; // the period itself and the future
  assert.deepEqual(featureRow('month', z, 20, '2025-09-01', 12), a);
  assert.equal(a[0], y[19]);
  assert.equal(a[4], y[8], 'seasonal lag 12');
});

test('cached silhouette equals the ML core silhouette', () => {
  const n = 300, d = 3, X = new Float64Array(n * d);
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X[i * d + j] = (i % 3) * 2 + rnd();
  const M = { rows: n, cols: d, data: X };
  const scorer = new SilhouetteScorer(M);
  for (const k of [2, 3, 5]) {
    const km = new KMeans({ nClusters: k, seed: 1 }).fit(M);
    assert.ok(Math.abs(scorer.score(km.labels) - silhouette(M, km.labels)) < 1e-6);
  }
  // restarts of one k: scored incrementally from the previous partition, same values
  const inc = new SilhouetteScorer(M);
  for (let seed = 0; seed < 6; seed++) {
    const km = new KMeans({ nClusters: 4, seed, maxIter: seed + 1 }).fit(M); // partitions near each other
    assert.ok(Math.abs(inc.score(km.labels) - silhouette(M, km.labels)) < 1e-6, `restart ${seed}`);
  }
  const moved = Int32Array.from(new KMeans({ nClusters: 4, seed: 0 }).fit(M).labels);
  const again = inc.score(moved);
  for (const i of [3, 50, 120]) moved[i] = (moved[i]! + 1) % 4; // three rows change cluster
  const perm = moved.map((l) => (l + 2) % 4); // and the numbering changes
  const before = inc.stats.incremental;
  assert.ok(Math.abs(inc.score(perm) - silhouette(M, perm)) < 1e-6);
  assert.equal(inc.stats.incremental, before + 1, 'scored from the previous partition');
  assert.ok(Number.isFinite(again));
  const small = new SilhouetteScorer(M, { maxRows: 10 }); // falls back to the ML core
  const km = new KMeans({ nClusters: 3, seed: 1 }).fit(M);
  assert.ok(Math.abs(small.score(km.labels) - silhouette(M, km.labels)) < 1e-12);
  assert.equal(logStandardise(M).Z.rows, n);
});

test('elbow of an inertia curve', async () => {
  const { elbowK } = await import('../../../src/analytics/retail/segments.ts');
  const scan = [100, 40, 30, 25, 22, 20].map((inertia, i) => ({ k: i + 2, inertia, silhouette: 0 }));
  assert.equal(elbowK(scan), 3);
});
