import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/ml/core/rng.ts';
import { binCounts, categoricalDrift, featureDrift, ksPValue, ksSorted, psiEdges, quantileSorted, sortedFinite } from '../../src/monitoring/drift.ts';
import { columnDrift } from '../../src/monitoring/drift-pool.ts';
import { closeThreadPool } from '../../src/util/thread-pool.ts';

/** The definitions, computed the slow way: both CDFs at every value of either sample. */
function ksBrute(a: number[], b: number[]): number {
  let d = 0;
  for (const v of [...a, ...b]) {
    const fa = a.filter((x) => x <= v).length / a.length, fb = b.filter((x) => x <= v).length / b.length;
    d = Math.max(d, Math.abs(fa - fb));
  }
  return d;
}

test('KS statistic: disjoint samples give 1, equal ones 0, ties and random samples match the definition', () => {
  assert.equal(ksSorted(Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6)), 1);
  assert.equal(ksSorted(Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3)), 0);
  const rng = new Rng(3);
  for (let rep = 0; rep < 20; rep++) {
    const a = Array.from({ length: 30 + rep }, () => Math.round(rng.normal() * 4) / 2);
    const b = Array.from({ length: 50 - rep }, () => Math.round((rng.normal() + rep / 10) * 4) / 2);
    assert.ok(Math.abs(ksSorted(sortedFinite(a), sortedFinite(b)) - ksBrute(a, b)) < 1e-15);
  }
});

test('KS p-value: near 1 for no difference, tiny for a clear one, decreasing in D', () => {
  assert.equal(ksPValue(0, 1000, 1000), 1);
  assert.ok(ksPValue(0.2, 1000, 1000) < 1e-15);
  assert.ok(ksPValue(0.03, 1000, 1000) > ksPValue(0.06, 1000, 1000));
  // Kolmogorov's 5% critical value: lambda = 1.358
  const en = Math.sqrt(500), d = 1.358 / (en + 0.12 + 0.11 / en);
  assert.ok(Math.abs(ksPValue(d, 1000, 1000) - 0.05) < 1e-3);
});

test('PSI: numpy-style decile edges, bins, zero for the same distribution, large for a shift', () => {
  const s = Float64Array.from({ length: 11 }, (_, i) => i);
  assert.equal(quantileSorted(s, 0.25), 2.5);
  assert.deepEqual(Array.from(psiEdges(s, 10)), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(Array.from(binCounts(s, Float64Array.of(2, 5))), [2, 3, 6]);
  const rng = new Rng(1);
  const ref = Array.from({ length: 20000 }, () => rng.normal());
  const same = Array.from({ length: 20000 }, () => rng.normal());
  const moved = Array.from({ length: 20000 }, () => rng.normal() + 0.5);
  assert.ok(featureDrift(ref, same).psi < 0.01);
  assert.ok(featureDrift(ref, moved).psi > 0.2);
  assert.ok(featureDrift(ref, moved).ks > 0.15 && featureDrift(ref, moved).ks_pvalue < 1e-10);
  // NaN is left out of both sides
  assert.equal(featureDrift([1, 2, NaN], [1, 2]).n_ref, 2);
  assert.ok(categoricalDrift(['a', 'a', 'b'], ['a', 'b', 'b', 'b']).psi > 0.1);
  assert.equal(categoricalDrift(['a', 'b'], ['b', 'a']).psi, 0);
});

test('columnDrift: the worker threads give the inline results', async () => {
  const rng = new Rng(5);
  const ref = Array.from({ length: 4 }, () => Float64Array.from({ length: 60_000 }, () => rng.normal()));
  const cur = Array.from({ length: 4 }, (_, j) => Float64Array.from({ length: 60_000 }, () => rng.normal() + 0.1 * j));
  const names = ['a', 'b', 'c', 'd'];
  try {
    const threaded = await columnDrift(names, ref, cur, { threads: 2 });
    const inline = await columnDrift(names, ref, cur, { threads: 1 });
    assert.deepEqual(threaded, inline);
    assert.ok(threaded[3]!.psi > threaded[0]!.psi);
  } finally {
    await closeThreadPool();
  }
});
