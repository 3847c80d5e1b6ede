// On the real UCI Online Retail file (../shared/data/online-retail.csv.gz): the cleaning rules
// reproduce the reference figures of ../shared/data/README.md exactly, the validation report
// counts each rule's removals, and KMeans on log RFM reaches scikit-learn's silhouette
// (segmentation_sklearn.py: 0.3371 at k = 4). Skipped, with the reason, when the file is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfmTable } from '../../../src/analytics/retail/features.ts';
import { readKpis, validationReport } from '../../../src/analytics/retail/kpis.ts';
import { COMMERCE_MODELS, COMMERCE_PUBLISHED } from '../../../src/pipeline/retail.ts';
import { logStandardise, scanK } from '../../../src/analytics/retail/segments.ts';
import { sharedPath } from '../../../src/util/paths.ts';
import { ingestFile } from '../../../src/warehouse/ingest.ts';
import { buildModels } from '../../../src/warehouse/models.ts';
import { openWorkspace } from '../../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../../helpers.ts';

const file = sharedPath('data', 'online-retail.csv.gz');
const skip = file ? false : 'skipped: ../shared/data/online-retail.csv.gz is absent (the real-data check needs ../shared beside the checkout)';

test('Online Retail: reference figures, validation report, silhouette vs scikit-learn', { skip, timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  try {
    const r = await ingestFile(ws.wh, file!, { table: 'order_line' });
    assert.equal(r.rows, 541_909);
    assert.equal(r.mapping, 'online-retail');
    assert.equal(r.files, 2, 'one file per year');
    // as the pipeline builds them: the intermediate steps stay in the session, the rest is published
    await buildModels(ws.wh, { only: COMMERCE_MODELS, publish: COMMERCE_PUBLISHED });
    const inLake = (await ws.lake.catalog.tables()).map((t) => t.table).filter((t) => t.startsWith('curated.'));
    assert.deepEqual(inLake.sort(), [...COMMERCE_PUBLISHED].sort());
    assert.deepEqual(COMMERCE_MODELS.filter((t) => ws.wh.snapshots.has(t)).sort(), [...COMMERCE_PUBLISHED].sort(), 'lineage names published snapshots only');
    const [checked] = await ws.wh.query<{ n: number; kept: number }>(`SELECT count(*) AS n, count(*) FILTER (WHERE ` +
      `rejected_by IS NULL) AS kept FROM curated.commerce_checked`);
    assert.deepEqual([Number(checked!.n), Number(checked!.kept)], [541_909, 397_884], 'the session reads its intermediate tables');
    const k = await readKpis(ws.wh);
    assert.equal(k.revenue, 8_911_407.9);
    assert.equal(k.customers, 4_338);
    assert.equal(k.invoices, 18_532);
    assert.equal(k.lines, 397_884);
    assert.equal(k.avg_ticket, 480.866, 'the anchor prints 480.866');
    const v = Object.fromEntries((await validationReport(ws.wh)).map((x) => [x.rule, x.rows]));
    assert.deepEqual(v, {
      input: 541_909, cancellation: 9_288, missing_customer: 134_697, non_positive_quantity: 0, non_positive_price: 40,
      kept: 397_884, non_product_code: 1_547,
    });
    const [o] = await ws.wh.query<{ other: number; all: number }>(
      `SELECT sum(revenue) FILTER (WHERE category = 'other') AS other, sum(revenue) AS all FROM curated.commerce_lines WHERE is_product`);
    assert.ok(Number(o!.other) / Number(o!.all) < 0.25, 'the keyword taxonomy places most product revenue in a named category');

    const t = await rfmTable(ws.wh);
    assert.equal(t.ids.length, 4_338);
    const { scan, best } = scanK(logStandardise(t.rfm).Z, { kRange: [3, 6], seed: 0 });
    const at4 = scan.find((s) => s.k === 4)!;
    assert.ok(at4.silhouette >= 0.3371, `k=4 silhouette ${at4.silhouette} >= scikit-learn's 0.3371`);
    assert.ok(best.silhouette >= 0.3371);
  } finally {
    await ws.close();
    cleanup();
  }
});
