import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/ml/core/rng.ts';
import { Interactions } from '../../../src/ml/recsys/interactions.ts';
import { ImplicitAls } from '../../../src/ml/recsys/als.ts';
import { giveBackAlsMemory, takeAlsMemory } from '../../../src/ml/recsys/als-wasm.ts';
import { Ease } from '../../../src/ml/recsys/ease.ts';
import { ItemKnn } from '../../../src/ml/recsys/item-knn.ts';
import { Popularity } from '../../../src/ml/recsys/popularity.ts';
import { createRecommender, recommenderFromJSON, RECOMMENDER_KINDS } from '../../../src/ml/recsys/registry.ts';
import { evaluateRanking, holdoutSplit } from '../../../src/ml/recsys/evaluate.ts';
import { NotFittedError, InvalidInputError, InvalidParameterError } from '../../../src/ml/core/errors.ts';

/**
 * Planted structure: 3 user groups, 3 item blocks of 40; a group-g user draws 12 items, 90% from
 * block g, with a popularity skew inside each block. Group 0 is the largest, so popularity
 * recommends block-0 items to everyone and fails the other groups.
 */
function blockData(seed = 1): Interactions {
  const rng = new Rng(seed);
  const users: string[] = [], items: string[] = [];
  const groupSizes = [150, 80, 70], block = 40;
  let u = 0;
  for (let g = 0; g < 3; g++) {
    for (let n = 0; n < groupSizes[g]!; n++, u++) {
      const seen = new Set<number>();
      while (seen.size < 12) {
        const b = rng.random() < 0.9 ? g : rng.int(3);
        // Zipf-like skew: low offsets are far more popular
        const off = Math.min(block - 1, Math.floor(block * rng.random() ** 2));
        seen.add(b * block + off);
      }
      for (const i of seen) { users.push(`u${u}`); items.push(`i${i}`); }
    }
  }
  return Interactions.fromTriples({ users, items });
}

const fitAll = async (train: Interactions) => ({
  popularity: await new Popularity().fit(train),
  als: await new ImplicitAls({ factors: 8, iterations: 10, alpha: 4, regularization: 1, threads: 1 }).fit(train),
  ease: await new Ease({ lambda: 20 }).fit(train),
  'item-knn': await new ItemKnn({ k: 30 }).fit(train),
});

test('ALS, EASE and item-kNN recover planted block structure clearly better than popularity', async () => {
  const data = blockData();
  const { train, truth } = holdoutSplit(data, { fraction: 0.25, seed: 3 });
  const models = await fitAll(train);
  const ndcg = Object.fromEntries(Object.entries(models).map(([k, m]) => [k, evaluateRanking(m, train, truth).ndcg10]));
  for (const k of ['als', 'ease', 'item-knn']) {
    assert.ok(ndcg[k]! > 1.5 * ndcg.popularity!, `${k} NDCG@10 ${ndcg[k]} vs popularity ${ndcg.popularity}`);
  }
  // and the top items for a group-1 user come from block 1 (items i40..i79)
  for (const k of ['als', 'ease', 'item-knn'] as const) {
    const recs = models[k].recommend('u160', 10);
    const inBlock = recs.filter((r) => { const i = Number(r.item.slice(1)); return i >= 40 && i < 80; }).length;
    assert.ok(inBlock >= 8, `${k}: only ${inBlock}/10 recommendations from the user's block`);
  }
});

test('no recommended item is in the user\'s training history (every model, every user)', async () => {
  const data = blockData(2);
  const models = await fitAll(data);
  for (const [k, m] of Object.entries(models)) {
    for (let u = 0; u < data.nUsers; u++) {
      const seen = new Set(data.row(u).indices);
      const recs = m.recommend(u, 25);
      assert.equal(recs.length, 25);
      for (const r of recs) assert.ok(!seen.has(r.index), `${k}: user ${u} got seen item ${r.item}`);
      for (let j = 1; j < recs.length; j++) assert.ok(recs[j - 1]!.score >= recs[j]!.score, `${k}: not sorted`);
    }
    // explicit excludes and excludeSeen: false
    const all = m.recommend(0, data.nItems, { excludeSeen: false });
    assert.equal(all.length, data.nItems);
    const ex = m.recommend(0, 5, { exclude: [all[0]!.index] });
    assert.ok(!ex.some((r) => r.index === all[0]!.index));
  }
});

test('toJSON / fromJSON round-trips to identical recommendations', async () => {
  const data = blockData(4);
  for (const kind of RECOMMENDER_KINDS) {
    const params = kind === 'als' ? { factors: 6, iterations: 3, threads: 1 } : {};
    const m = await createRecommender(kind, params).fit(data);
    const back = recommenderFromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    assert.equal(back.kind, kind);
    const users = Int32Array.from({ length: data.nUsers }, (_, i) => i);
    assert.deepEqual(back.scoreUsers(users), m.scoreUsers(users), kind);
    assert.deepEqual(back.recommend('u7', 10), m.recommend('u7', 10), kind);
  }
});

test('ALS on worker threads gives the same factors, bit for bit, as one thread', async () => {
  // Row solves read only the other side and the Gram matrix, Gram partials are summed in fixed
  // chunks, and lock-step row groups are aligned to absolute row numbers: the thread count does
  // not change any floating-point operation or its order.
  // factors 12: the WebAssembly SIMD kernel; 6 with float32: the JavaScript one (6 does not fill f32x4)
  const data = blockData(5);
  for (const [factors, dtype] of [[12, 'float32'], [12, 'float64'], [6, 'float32']] as const) {
    const one = await new ImplicitAls({ factors, iterations: 4, threads: 1, dtype, seed: 9 }).fit(data);
    const three = await new ImplicitAls({ factors, iterations: 4, threads: 3, dtype, seed: 9 }).fit(data);
    assert.deepEqual(three.state!.userFactors, one.state!.userFactors, `${factors} ${dtype}`);
    assert.deepEqual(three.state!.itemFactors, one.state!.itemFactors, `${factors} ${dtype}`);
  }
});

test('ALS in an arena a previous fit left dirty computes what it computes in a clean one', async () => {
  // fits hand their WebAssembly arena to the next fit (als-wasm.ts, takeAlsMemory): the part a
  // fit uses is zeroed first, so nothing a kernel reads can come from the fit before
  const data = blockData(7);
  const fit = () => new ImplicitAls({ factors: 12, iterations: 3, threads: 2, seed: 4 }).fit(data);
  const clean = await fit();
  const mem = takeAlsMemory(4 << 20)!;
  new Uint8Array(mem.buffer).fill(0xff); // NaN factors, indices far out of range
  giveBackAlsMemory(mem);
  const dirty = await fit();
  assert.deepEqual(dirty.state!.userFactors, clean.state!.userFactors);
  assert.deepEqual(dirty.state!.itemFactors, clean.state!.itemFactors);
  assert.equal(takeAlsMemory(1 << 20), mem, 'the second fit ran in the dirty arena and gave it back');
});

test('ALS with more iterations lowers the weighted training loss', async () => {
  const data = blockData(6);
  const loss = (m: ImplicitAls) => {
    const f = m.params.factors, X = m.state!.userFactors, Y = m.state!.itemFactors;
    let l = 0;
    for (let u = 0; u < data.nUsers; u++) {
      const seen = new Map<number, number>();
      const row = data.row(u);
      for (let k = 0; k < row.indices.length; k++) seen.set(row.indices[k]!, row.data[k]!);
      for (let i = 0; i < data.nItems; i++) {
        let s = 0;
        for (let k = 0; k < f; k++) s += X[u * f + k]! * Y[i * f + k]!;
        const w = seen.get(i);
        l += (w === undefined ? 1 : 1 + m.params.alpha * w) * ((w === undefined ? 0 : 1) - s) ** 2;
      }
    }
    for (const v of X) l += m.state!.regularization * v * v;
    for (const v of Y) l += m.state!.regularization * v * v;
    return l;
  };
  const p = { factors: 8, alpha: 4, regularization: 1, threads: 1, cgSteps: 3 };
  const l1 = loss(await new ImplicitAls({ ...p, iterations: 1 }).fit(data));
  const l10 = loss(await new ImplicitAls({ ...p, iterations: 10 }).fit(data));
  assert.ok(l10 < 0.9 * l1, `loss ${l1} -> ${l10}`);
});

test('clear errors: unknown parameters, unfitted models, unknown users', async () => {
  assert.throws(() => new ImplicitAls({ factor: 3 } as any), InvalidParameterError);
  assert.throws(() => new ImplicitAls({ dtype: 'float16' as any }), /dtype/);
  assert.throws(() => new Ease({ lambda: 0 }), /lambda/);
  assert.throws(() => createRecommender('svd'), /unknown recommender "svd"/);
  assert.throws(() => new Popularity().recommend(0, 3), NotFittedError);
  const m = await new Popularity().fit(blockData());
  assert.throws(() => m.recommend('nobody', 3), (e: Error) => e instanceof InvalidInputError && /unknown user "nobody"/.test(e.message));
  assert.throws(() => m.recommend(0, 0), /n must be a positive integer/);
  const neg = Interactions.fromTriples({ users: ['a', 'b'], items: ['x', 'y'], weights: [1, -1] });
  await assert.rejects(new ImplicitAls({ threads: 1 }).fit(neg), /field "weight" must be >= 0/);
});
