import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsAccumulator, userMetrics } from '../../../src/ml/recsys/metrics.ts';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? ''} ${a} != ${b}`);

test('userMetrics: hand-computed NDCG@10, Recall@20, Precision@10, MAP@10', () => {
  // relevant items 1 and 2 at ranks 2 and 4; a third test item (unknown to training) is never hit
  const ranked = [5, 1, 7, 2, 8, 9, 10, 11, 12, 13, 14, 15];
  const m = userMetrics(ranked, { known: new Set([1, 2]), size: 3 });
  const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
  const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
  close(m.ndcg10, dcg / idcg, 'ndcg');
  close(m.recall20, 2 / 3, 'recall');
  close(m.precision10, 0.2, 'precision');
  close(m.map10, (1 / 2 + 2 / 4) / 3, 'map');
});

test('userMetrics: hits after rank 10 count for recall only; denominators cap at 10 and 20', () => {
  const ranked = Array.from({ length: 20 }, (_, k) => k);
  // 25 test items, of which ranks 1 and 15 (0-based 0 and 14) are hits
  const known = new Set([0, 14, 100, 101]);
  const m = userMetrics(ranked, { known, size: 25 });
  let idcg = 0;
  for (let k = 0; k < 10; k++) idcg += 1 / Math.log2(k + 2);
  close(m.ndcg10, 1 / idcg);
  close(m.recall20, 2 / 20);
  close(m.precision10, 0.1);
  close(m.map10, 1 / 10);
});

test('userMetrics: a perfect list scores 1 on NDCG, recall and MAP', () => {
  const m = userMetrics([3, 4, 5], { known: new Set([3, 4, 5]), size: 3 });
  close(m.ndcg10, 1); close(m.recall20, 1); close(m.map10, 1); close(m.precision10, 0.3);
  assert.throws(() => userMetrics([1], { known: new Set(), size: 0 }), /no metrics/);
});

test('MetricsAccumulator: averages over users (empty lists included) and measures top-10 coverage', () => {
  const acc = new MetricsAccumulator(40);
  acc.add([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 31], { known: new Set([0]), size: 1 }); // ndcg 1
  acc.add([0, 1, 2, 3, 4, 5, 6, 7, 8, 20], { known: new Set([50]), size: 1 });        // ndcg 0
  acc.addEmpty({ known: new Set([1]), size: 2 });                                       // cold user
  const r = acc.result();
  assert.equal(r.users, 3);
  close(r.ndcg10, 1 / 3);
  close(r.recall20, 1 / 3);
  // distinct items in the top 10 lists: 0..9 and 20 (30, 31 are ranks 11-12)
  close(r.coverage, 11 / 40);
});
