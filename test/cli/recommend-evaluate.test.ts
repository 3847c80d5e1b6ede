// `tributary recommend evaluate` as a user runs it: files of user,item,weight in, one JSON
// object per model out, and the evaluation recorded as a tracking run with every model's metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/ml/core/rng.ts';
import { tmpHome } from '../helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));

function tributary(home: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_HOME: home };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', cwd: home });
  assert.equal(r.status, 0, `tributary ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Two taste groups: users of group g like items of group g; the test holds out one liked item each. */
function writeSplit(dir: string): { train: string; test: string } {
  const rng = new Rng(3);
  const train = ['user,item,weight'], held = ['user,item,weight'];
  for (let u = 0; u < 60; u++) {
    const g = u % 2;
    const liked = Array.from({ length: 20 }, (_, i) => `i${g * 20 + i}`).filter(() => rng.random() < 0.6);
    liked.slice(0, -1).forEach((item) => train.push(`u${u},${item},1`));
    held.push(`u${u},${liked.at(-1)},1`);
  }
  const paths = { train: join(dir, 'train.csv'), test: join(dir, 'test.csv') };
  writeFileSync(paths.train, train.join('\n') + '\n');
  writeFileSync(paths.test, held.join('\n') + '\n');
  return paths;
}

test('recommend evaluate prints one object per model and records the evaluation as a run', (t) => {
  const { home, cleanup } = tmpHome();
  t.after(cleanup);
  const { train, test: testFile } = writeSplit(home);

  const out = tributary(home, 'recommend', 'evaluate', '--train', train, '--test', testFile, '--model', 'popularity,ease', '--json');
  const rows = (JSON.parse(out) as { models: { model: string; fit_s: number; ndcg10: number; recall20: number }[] }).models;
  assert.deepEqual(rows.map((r) => r.model), ['popularity', 'ease']);
  for (const r of rows) {
    assert.ok(r.ndcg10 >= 0 && r.ndcg10 <= 1 && r.recall20 >= 0 && r.recall20 <= 1, JSON.stringify(r));
    assert.ok(r.fit_s >= 0);
  }
  const ease = rows.find((r) => r.model === 'ease')!;
  const pop = rows.find((r) => r.model === 'popularity')!;
  assert.ok(ease.ndcg10 > pop.ndcg10, `EASE learns the two taste groups: ${ease.ndcg10} > ${pop.ndcg10}`);

  const page = JSON.parse(tributary(home, 'runs', 'list', '--pipeline', 'recommend', '--json')) as { runs: {
    id: string;
    step: string;
    status: string;
    metrics: Record<string, number>;
  }[]; };
  assert.equal(page.runs.length, 1);
  const [run] = page.runs;
  assert.equal(run!.step, 'evaluate');
  assert.equal(run!.status, 'finished');
  assert.equal(run!.metrics['ease.ndcg10']!.toFixed(4), ease.ndcg10.toFixed(4));
  assert.equal(run!.metrics['popularity.recall20']!.toFixed(4), pop.recall20.toFixed(4));

  tributary(home, 'recommend', 'evaluate', '--train', train, '--test', testFile, '--model', 'popularity', '--json', '--no-track');
  const after = JSON.parse(tributary(home, 'runs', 'list', '--pipeline', 'recommend', '--json')) as { runs: unknown[] };
  assert.equal(after.runs.length, 1, '--no-track records nothing');
});
