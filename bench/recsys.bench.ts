// Top-N recommendation on MovieLens (rating >= 4 positive, last 20% of each user's positives by
// time held out), split once with the anchors' recsys_split.py, then recsys_anchors.py (numpy /
// scipy popularity, EASE, iALS) and ours on the very same rows, side by side.
// Targets (issue 4): best NDCG@10 >= EASE's; our ALS NDCG@10 >= numpy iALS's with fit time at
// most 1/5 of it (64 factors, 15 iterations, 3 CG steps, same alpha/reg).
// The count-data case (issue 18): play counts of the generated music world (bench/data/
// music-counts.ts), 20% of each user's tracks held out at random; targets: our tuned ALS within 5%
// of the best model's NDCG@10, and at least as good as the numpy iALS with log confidence.
// The heavy count case (counts-heavy): the same split with each user's counts multiplied by a
// log-normal lifetime factor (sigma 2), so a few users reach hundreds of thousands of plays, as in
// the real listening log of the issue, where linear confidence collapsed.
// Usage: npm run bench -- recsys [--case movielens|counts|counts-heavy|all]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON, anchorScript, benchOut, report, runAnchor, speedup, type Row } from './lib.ts';
import { sharedPath } from '../src/util/paths.ts';
import { readInteractionsFile } from '../src/warehouse/interactions-file.ts';
import { openDuck } from '../src/lake/duck.ts';
import { Interactions } from '../src/ml/recsys/interactions.ts';
import { buildTruth, evaluateRanking, tune } from '../src/ml/recsys/evaluate.ts';
import { createRecommender, type RecommenderKind } from '../src/ml/recsys/registry.ts';
import { startAlsWorkers } from '../src/ml/recsys/als.ts';
import { writeMusicCountSplit } from './data/music-counts.ts';
import { verdict } from './data/verdict.ts';

const caseAt = process.argv.indexOf('--case');
const which = caseAt > 0 ? process.argv[caseAt + 1]! : 'all';
if (!['movielens', 'counts', 'counts-heavy', 'all'].includes(which)) throw new Error(`--case must be movielens, counts, counts-heavy or all, got ${which}`);
// Worker threads are started once per process (like the anchor's numpy import, outside its fit
// time), with the ALS SIMD kernel compiled and warmed meanwhile; that start-up is timed and printed
// separately.
const t0 = performance.now();
await startAlsWorkers();
const workerStart = (performance.now() - t0) / 1000;
console.log(`ALS worker start-up and kernel warm-up (once per process, not in fit_s): ${workerStart.toFixed(3)} s`);

async function scored(train: Interactions, truth: ReturnType<typeof buildTruth>, kind: RecommenderKind, params: Record<string, unknown>) {
  const t = performance.now();
  const m = await createRecommender(kind, params).fit(train);
  const fit_s = (performance.now() - t) / 1000;
  return { fit_s, ...evaluateRanking(m, train, truth) };
}

/** One bench table: `ours` scores a recommender, `add` puts its row (beside the anchor's, if any) in `rows` and returns its scores. */
function scoreboard(train: Interactions, truth: ReturnType<typeof buildTruth>) {
  const rows: Row[] = [];
  type Scores = { fit_s: number; ndcg10: number; recall20: number; coverage?: number };
  return {
    rows,
    ours: (kind: RecommenderKind, params: Record<string, unknown>) => scored(train, truth, kind, params),
    add: (name: string, a: Record<string, any> | undefined, o: Scores) => { rows.push(rowOf(name, a, o)); return o; },
  };
}

function rowOf(name: string, a: Record<string, any> | undefined, o: { fit_s: number; ndcg10: number; recall20: number; coverage?: number }): Row {
  return {
    name,
    anchor_ndcg10: a?.ndcg10 ?? '', ours_ndcg10: +o.ndcg10.toFixed(4),
    anchor_recall20: a?.recall20 ?? '', ours_recall20: +o.recall20.toFixed(4),
    anchor_fit_s: a?.fit_s ?? '', ours_fit_s: +o.fit_s.toFixed(3),
    speedup: a && a.fit_s > 0 ? speedup(a.fit_s, o.fit_s) : '',
    coverage: o.coverage === undefined ? '' : +o.coverage.toFixed(3),
  };
}

const label = (p: Record<string, unknown>) => Object.entries(p).filter(([k]) => k !== 'seed').map(([k, v]) => `${k}=${v}`).join(' ');


if (which === 'movielens' || which === 'all') await movielens();
if (which === 'counts' || which === 'all') await counts(false);
if (which === 'counts-heavy' || which === 'all') await counts(true);

async function movielens(): Promise<void> {
  const ratings = sharedPath('data', 'movielens-small', 'ratings.csv');
  if (!ratings) throw new Error('../shared/data/movielens-small/ratings.csv is needed for this benchmark');
  const dir = join(benchOut, 'recsys-movielens');
  const split = spawnSync(PYTHON, [anchorScript('recsys_split.py'), ratings, dir, '--user', 'userId', '--item', 'movieId',
    '--weight', 'rating', '--rating-min', '4', '--ts', 'timestamp'], { encoding: 'utf8' });
  if (split.status !== 0) throw new Error(`recsys_split.py failed:\n${split.stderr}`);
  console.log(`split: ${split.stdout.trim()}`);

  console.log('running recsys_anchors.py ...');
  const anchor = runAnchor('recsys_anchors.py', [dir]);

  const duck = await openDuck({ threads: 2 });
  const trainRows = await readInteractionsFile(duck.conn, join(dir, 'train.csv'));
  const testRows = await readInteractionsFile(duck.conn, join(dir, 'test.csv'));
  duck.conn.closeSync();
  const train = Interactions.fromTriples(trainRows);
  const truth = buildTruth(train, testRows);
  const { rows, ours, add } = scoreboard(train, truth);

  add('popularity', anchor.find((r) => r.model === 'popularity'), await ours('popularity', {}));
  for (const a of anchor.filter((r) => r.model === 'EASE')) add(`EASE l2=${a.l2}`, a, await ours('ease', { lambda: a.l2 }));
  for (const a of anchor.filter((r) => String(r.model).startsWith('iALS'))) {
    add(
    `iALS alpha=${a.alpha} reg=${a.reg} (64f,15it,cg3)`,
    a,
    await ours('als', { factors: 64, iterations: 15, cgSteps: 3, alpha: a.alpha, regularization: a.reg, confidence: 'linear' }),
    );
  }
  add('item-kNN k=100 (ours only)', undefined, await ours('item-knn', { k: 100 }));
  // tuned on a per-user holdout of the training file only, then refitted on all of it
  for (const kind of ['ease', 'als', 'item-knn'] as const) {
    const { best } = await tune(kind, train, { seed: 0 });
    add(`${kind} tuned on validation (${label(best)})`, undefined, await ours(kind, best));
  }
  report('recsys: MovieLens small, rating>=4, time split (anchor = recsys_anchors.py numpy/scipy)', rows);

  const best = Math.max(...rows.map((r) => r.ours_ndcg10 as number));
  const easeAnchor = Math.max(...anchor.filter((r) => r.model === 'EASE').map((r) => r.ndcg10 as number));
  const alsAnchor = anchor.find((r) => String(r.model).startsWith('iALS'))!;
  const alsOurs = rows.find((r) => r.name.startsWith(`iALS alpha=${alsAnchor.alpha} reg=${alsAnchor.reg}`))!;
  console.log(`best NDCG@10 ours ${best.toFixed(4)} vs best anchor EASE ${easeAnchor} -> ${best >= easeAnchor ? 'met' : 'NOT met'}`);
  console.log(`ALS (alpha=${alsAnchor.alpha}, reg=${alsAnchor.reg}) NDCG@10 ${alsOurs.ours_ndcg10} ` +
  `vs ${alsAnchor.ndcg10}; fit ${alsOurs.ours_fit_s} s vs ${alsAnchor.fit_s} s = ${alsOurs.speedup} faster (target >= 5x)`);
}

async function counts(heavy: boolean): Promise<void> {
  const dir = join(benchOut, heavy ? 'recsys-music-counts-heavy' : 'recsys-music-counts');
  const t = performance.now();
  // 400 users x 1,200 tracks: the anchor's iALS is a Python loop over rows (three confidence
  // settings x 15 iterations), which at 1,000 x 3,000 did not finish in reasonable time on a shared machine
  const s = writeMusicCountSplit(dir, { users: 400, tracks: 1200, ...(heavy ? { lifetimeSigma: 2 } : {}) });
  console.log(`\ncount data${heavy ? ' (heavy: per-user lifetime factor, sigma 2)' : ''}: generated music ` +
    `world, ${s.plays} plays, ${s.users} users x ${s.items} tracks, ${s.pairs} (user, track) play counts ` +
    `(max ${s.maxCount}; median user ${s.medianUserPlays} plays, heaviest ${s.maxUserPlays}), 20% of each user's tracks ` +
    `held out at random (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  console.log('running recsys_anchors.py (its iALS takes confidence 1 + alpha * log1p(count) on count data) ...');
  const anchor = runAnchor('recsys_anchors.py', [dir]);
  const duck = await openDuck({ threads: 2 });
  const train = Interactions.fromTriples(await readInteractionsFile(duck.conn, join(dir, 'train.csv')));
  const truth = buildTruth(train, await readInteractionsFile(duck.conn, join(dir, 'test.csv')));
  duck.conn.closeSync();
  const { rows, ours, add } = scoreboard(train, truth);
  add('popularity', anchor.find((r) => r.model === 'popularity'), await ours('popularity', {}));
  for (const a of anchor.filter((r) => r.model === 'EASE')) add(`EASE l2=${a.l2}`, a, await ours('ease', { lambda: a.l2 }));
  for (const a of anchor.filter((r) => String(r.model).startsWith('iALS'))) {
    add(
      `iALS log confidence alpha=${a.alpha} reg=${a.reg} (64f,15it,cg3)`,
      a,
      await ours('als', { factors: 64, iterations: 15, cgSteps: 3, alpha: a.alpha, regularization: a.reg, confidence: 'log' }),
    );
  }
  add('ALS linear confidence alpha=1 reg=0.1 (the collapsed one, ours only)', undefined, await ours('als', { confidence: 'linear', regularization: 0.1 }));
  add('ALS log confidence alpha=1 reg=0.1 (the defaults before reg auto)', undefined, await ours('als', { regularization: 0.1 }));
  const alsDefault = add('ALS defaults (confidence auto = log on counts, reg auto = 0.2 x pairs per user)', undefined, await ours('als', {}));
  add('item-kNN defaults (ours only)', undefined, await ours('item-knn', {}));
  let alsTuned = alsDefault;
  for (const kind of ['ease', 'als', 'item-knn'] as const) {
    const { best } = await tune(kind, train, { seed: 0 });
    const r = add(`${kind} tuned on validation (${label(best)})`, undefined, await ours(kind, best));
    if (kind === 'als') alsTuned = r;
  }
  const what = heavy ? 'play counts x per-user lifetime factor' : 'play counts';
  report(`recsys: generated music world, ${what}, random 20% per user held out (anchor = recsys_anchors.py numpy/scipy)`, rows);
  const best = Math.max(...rows.map((r) => r.ours_ndcg10 as number));
  const ialsAnchor = Math.max(...anchor.filter((r) => String(r.model).startsWith('iALS')).map((r) => r.ndcg10 as number));
  verdict(`recsys count data${heavy ? ', heavy' : ''} (issue 18)`, [
    {
      what: 'tuned ALS NDCG@10 / best model\'s (ours or anchor\'s)',
      value: alsTuned.ndcg10 / Math.max(best, ...anchor.map((r) => r.ndcg10 as number)),
      target: 0.95,
      cmp: '>=',
    },
    {
      what: 'default ALS NDCG@10 / best model\'s',
      value: alsDefault.ndcg10 / Math.max(best, ...anchor.map((r) => r.ndcg10 as number)),
      target: 0.95,
      cmp: '>=',
    },
    { what: 'tuned ALS NDCG@10 / best numpy iALS (log confidence)', value: alsTuned.ndcg10 / ialsAnchor, target: 1, cmp: '>=' },
  ]);
}
