// Real public regression data sets for the tree benchmarks, installed from Debian's R packages
// (never downloaded by us): each is exported once to CSV with Rscript, split 80/20 by a seeded
// shuffle, and written as train/test files that the anchors and we both read.
//   diamonds   ggplot2::diamonds (r-cran-ggplot2), 53,940 rows: price ~ carat, depth, table, x, y, z
//              + cut, color, clarity (categorical)
//   cps1988    AER::CPS1988 (r-cran-aer), 28,155 rows: March 1988 Current Population Survey,
//              log(wage) ~ education, experience + ethnicity, smsa, region, parttime
//   gssvocab   carData::GSSvocab (r-cran-cardata), 28,867 rows (27,360 complete): US General Social
//              Survey 1978-2016, vocabulary score ~ age, educ + year, gender, nativeBorn, ageGroup,
//              educGroup
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/ml/core/rng.ts';

export interface RealSet { name: string; source: string; debian: string; target: string; train: string; test: string; rows: number }

const SETS: Array<{ name: string; source: string; debian: string; target: string; r: string }> = [
  {
    name: 'diamonds', source: 'ggplot2::diamonds', debian: 'r-cran-ggplot2', target: 'price',
    r: 'd <- as.data.frame(ggplot2::diamonds); for (k in c("cut","color","clarity")) d[[k]] <- as.character(d[[k]]); d',
  },
  {
    name: 'cps1988', source: 'AER::CPS1988', debian: 'r-cran-aer', target: 'log_wage',
    r: 'data("CPS1988", package = "AER"); d <- CPS1988; d$log_wage <- log(d$wage); d$wage <- NULL; for (k in names(d)) ' +
      'if (is.factor(d[[k]])) d[[k]] <- as.character(d[[k]]); d',
  },
  {
    name: 'gssvocab', source: 'carData::GSSvocab', debian: 'r-cran-cardata', target: 'vocab',
    r: 'data("GSSvocab", package = "carData"); d <- na.omit(GSSvocab); d <- as.data.frame(d); for (k in names(d)) if ' +
      '(is.factor(d[[k]])) d[[k]] <- paste0("v", as.character(d[[k]])); d',
  },
];

export const REAL_SET_NAMES = SETS.map((s) => s.name);

/** Exports (once, cached under dir) and splits one set; throws with the Debian package to install when R or the package is missing. */
export function realRegressionSet(name: string, dir: string, seed = 0): RealSet {
  const s = SETS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown data set ${name} (known: ${REAL_SET_NAMES.join(', ')})`);
  mkdirSync(dir, { recursive: true });
  const full = join(dir, `${name}.csv`);
  if (!existsSync(full)) {
    const script = `${s.r.replace(/; d$/, '')}; write.csv(d, ${JSON.stringify(full)}, row.names = FALSE)`;
    const r = spawnSync('Rscript', ['-e', script], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`could not export ${s.source}: apt-get install r-base-core ${s.debian}\n${r.error?.message ?? r.stderr}`);
    }
  }
  const lines = readFileSync(full, 'utf8').split('\n').filter((l) => l.length > 0);
  const header = lines[0]!.split(',').map((c) => c.replace(/^"|"$/g, ''));
  const body = lines.slice(1).map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '')).join(','));
  const order = new Rng(seed).shuffle(Int32Array.from({ length: body.length }, (_, i) => i));
  const nTest = Math.round(body.length * 0.2);
  const train = join(dir, `${name}-train.csv`), test = join(dir, `${name}-test.csv`);
  writeFileSync(train, [header.join(','), ...Array.from(order.subarray(nTest), (i) => body[i]!)].join('\n') + '\n');
  writeFileSync(test, [header.join(','), ...Array.from(order.subarray(0, nTest), (i) => body[i]!)].join('\n') + '\n');
  return { name, source: s.source, debian: s.debian, target: s.target, train, test, rows: body.length };
}
