import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interactions } from '../../../src/ml/recsys/interactions.ts';
import { InvalidInputError } from '../../../src/ml/core/errors.ts';

test('fromTriples builds sorted CSR, sums duplicates and transposes', () => {
  const m = Interactions.fromTriples({
    users: ['u1', 'u2', 'u1', 'u3', 'u1'],
    items: ['b', 'a', 'a', 'c', 'b'],
    weights: [1, 2, 3, 4, 5],
  });
  assert.deepEqual(m.userIds, ['u1', 'u2', 'u3']);
  assert.deepEqual(m.itemIds, ['b', 'a', 'c']);
  assert.equal(m.nnz, 4);
  // u1: a (index 1) = 3, b (index 0) = 1 + 5
  assert.deepEqual([...m.row(0).indices], [0, 1]);
  assert.deepEqual([...m.row(0).data], [6, 3]);
  assert.deepEqual([...m.byItem.indptr], [0, 1, 3, 4]);
  assert.deepEqual([...m.byItem.indices], [0, 0, 1, 2]);
  assert.deepEqual([...m.byItem.data], [6, 3, 2, 4]);
  assert.deepEqual([...m.itemCounts()], [1, 2, 1]);
  const max = Interactions.fromTriples({ users: ['x', 'x'], items: ['i', 'i'], weights: [2, 7] }, { duplicates: 'max' });
  assert.deepEqual([...max.byUser.data], [7]);
});

test('fromTriples: bad rows fail naming the field', () => {
  assert.throws(() => Interactions.fromTriples({ users: ['a', ''], items: ['x', 'y'] }), (e: Error) => e instanceof InvalidInputError && /row 1: field "user"/.test(e.message));
  assert.throws(() => Interactions.fromTriples({ users: ['a'], items: [''] }), /field "item"/);
  assert.throws(() => Interactions.fromTriples({ users: ['a'], items: ['x'], weights: [NaN] }), /field "weight"/);
});

