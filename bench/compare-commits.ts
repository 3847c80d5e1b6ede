// Benchmarks of two commits side by side, as interleaved pairs: each named bench runs on BEFORE
// and AFTER alternately (before first in even pairs, after first in odd ones), each run taking
// the bench lock on its own, so load from other work falls on both sides alike. Every run's own
// anchor ratios (verdict checks, "speedup"/"vs_"/"ratio" fields of its JSON rows, serve's
// requests/s line) are collected, and one table prints each ratio's median per side.
//
// Each commit is checked out once into a worktree beside this checkout (so ../shared is found
// from it), with node_modules hard-linked from this one; each side runs its own bench files
// against its own code. Logs: bench/out/compare/.
//
// Usage: node --import tsx bench/compare-commits.ts [--before REF] [--after REF] [--pairs N]
//          [--lock FILE] BENCH[:ARG,ARG...] ...
//   e.g. ... --before cb55e72 --after main --pairs 3 rf gbdt kmeans predict als:3,float32,0,0.2
// (the bench's own arguments after a colon, comma-separated); --table prints the table of the
// logs so far without running anything; --logs NAME keeps the logs in bench/out/NAME (with
// --table, several names, comma-separated, are read together).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/util/paths.ts';
import { median } from './lib.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1]! : dflt;
};
const beforeRef = opt('--before', 'cb55e72'), afterRef = opt('--after', 'HEAD');
const pairs = Number(opt('--pairs', '3')), lock = opt('--lock', '/work/bench.lock');
// --logs NAME: logs under bench/out/NAME (default compare), so two comparisons can run at once
const logName = opt('--logs', 'compare');
// --table: only print the table of the logs in bench/out/compare (no runs)
const fromLogs = args.includes('--table') && args.splice(args.indexOf('--table'), 1).length > 0;
if (!Number.isInteger(pairs) || pairs < 1) throw new Error('--pairs: expected a positive integer');
const benches = args.map((a) => { const [name, rest] = a.split(':'); return { name: name!, args: rest ? rest.split(',') : [] }; });
if (benches.length === 0 && !fromLogs) throw new Error('name at least one bench (rf gbdt kmeans predict recsys als serve retail)');

const git = (...a: string[]) => execFileSync('git', ['-C', packageRoot, ...a], { encoding: 'utf8' }).trim();

/** A detached worktree of `ref` beside this checkout, with this checkout's node_modules hard-linked. */
function checkout(ref: string): { ref: string; commit: string; dir: string } {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = resolve(packageRoot, '..', `.compare-${commit.slice(0, 10)}`);
  if (!existsSync(dir)) {
    git('worktree', 'add', '--detach', dir, commit);
    // hard links: no copy of the packages, and nothing written back (esbuild's cache writes new files)
    execFileSync('cp', ['-al', join(packageRoot, 'node_modules'), join(dir, 'node_modules')]);
    if (existsSync(join(packageRoot, 'web', 'dist'))) cpSync(join(packageRoot, 'web', 'dist'), join(dir, 'web', 'dist'), { recursive: true });
  }
  return { ref, commit, dir };
}

/** The anchor ratios a bench run printed, by a name stable across runs (load figures taken out). */
export function ratiosOf(output: string): Map<string, number> {
  const out = new Map<string, number>();
  const stable = (s: string) => s.replace(/,?\s*load(_avg_1m)? [\d.]+/g, '').replace(/\s+/g, ' ').trim();
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^-?[\d.]+x?$/.test(v) ? Number(v.replace(/x$/, '')) : NaN);
  for (const line of output.split('\n')) {
    if (line.startsWith('JSON ')) {
      let j: Record<string, unknown>;
      try { j = JSON.parse(line.slice(5)); } catch { continue; }
      if (Array.isArray(j.checks)) {
        for (const c of j.checks as { what: string; value: number }[]) out.set(stable(`check: ${c.what}`), c.value);
        continue;
      }
      for (const [k, v] of Object.entries(j)) {
        // anchor ratios, and our own side's absolute figures beside them (a ratio moves with the
        // anchor's noise too); the ALS bench has no anchor, so its seconds per iteration stand in
        const ourRow = /^(ours|tributary)/.test(String(j.name ?? ''));
        if (!/speedup|^vs_|ratio$|^ratio|s_per_iteration_median/.test(k) && !(ourRow && /^(fit_s|s|us_per_row_median|req_per_s|p99_ms)$/.test(k))) continue;
        const x = num(v);
        if (Number.isFinite(x)) out.set(stable(`${String(j.name ?? '')}: ${k}`), x);
      }
    }
    const serve = /^ratio: ([\d.]+)x the anchor's requests\/s.*?; ([\d.]+)x, p99/.exec(line);
    if (serve) {
      out.set('requests/s vs anchor, every request audited', Number(serve[1]));
      out.set('requests/s vs anchor, audit sampling 0.01', Number(serve[2]));
    }
  }
  return out;
}

interface Run { bench: string; side: 'before' | 'after'; pair: number; load: number; ratios: Map<string, number>; ok: boolean }

/** The table again from the logs of runs so far (a comparison stopped early still gives its pairs). */
function tableFromLogs(dirs: string[]): void {
  const runs: Run[] = [];
  for (const dir of dirs) for (const f of readdirSync(dir).sort()) {
    const m = /^(.+)-(before|after)-(\d+)\.log$/.exec(f);
    if (!m) continue;
    const text = readFileSync(join(dir, f), 'utf8');
    const head = /^# load ([\d.]+) exit (\S+)/.exec(text);
    runs.push({ bench: m[1]!, side: m[2] as 'before' | 'after', pair: Number(m[3]), load: head ? Number(head[1]) : NaN, ratios: ratiosOf(text),
      ok: head ? head[2] === '0' : true });
  }
  table(runs);
}

async function main(): Promise<void> {
  if (fromLogs) { tableFromLogs(logName.split(',').map((n) => join(packageRoot, 'bench', 'out', n))); return; }
  const sides = { before: checkout(beforeRef), after: checkout(afterRef) };
  const logDir = join(packageRoot, 'bench', 'out', logName);
  mkdirSync(logDir, { recursive: true });
  console.log(`before: ${sides.before.ref} = ${sides.before.commit.slice(0, 10)} (${sides.before.dir})`);
  console.log(`after:  ${sides.after.ref} = ${sides.after.commit.slice(0, 10)} (${sides.after.dir})`);
  const runs: Run[] = [];
  for (let p = 0; p < pairs; p++) {
    for (const b of benches) {
      const order = (p % 2 === 0 ? ['before', 'after'] : ['after', 'before']) as Array<'before' | 'after'>;
      for (const side of order) {
        const load = loadavg()[0]!;
        const t0 = performance.now();
        const r = spawnSync('flock', [lock, process.execPath, '--import', 'tsx', 'bench/run.ts', b.name, ...b.args], {
          cwd: sides[side].dir, encoding: 'utf8', maxBuffer: 256 << 20,
        });
        const text = `# load ${load.toFixed(2)} exit ${r.status}\n${r.stdout ?? ''}\n${r.stderr ?? ''}`;
        writeFileSync(join(logDir, `${b.name}-${side}-${p + 1}.log`), text);
        const ratios = ratiosOf(r.stdout ?? '');
        const ok = r.status === 0;
        runs.push({ bench: b.name, side, pair: p + 1, load, ratios, ok });
        const first = [...ratios].slice(0, 2).map(([k, v]) => `${k} = ${v}`).join('; ');
        console.log(`pair ${p + 1} ${b.name} ${side}: ${ok ? 'ok' : `exit ${r.status}`} in ${((performance.now() - t0) / 1000).toFixed(0)} s,`
          + ` load ${load.toFixed(1)}: ${first || '(no ratio found)'}`);
      }
    }
  }
  table(runs);
}

/** One row per bench and ratio: medians over the pairs on each side, and after / before. */
function table(runs: Run[]): void {
  const rows: string[][] = [['bench', 'ratio', 'before (median)', 'after (median)', 'after / before', 'pairs', 'load (1 min)']];
  for (const b of [...new Set(runs.map((r) => r.bench))]) {
    const mine = runs.filter((r) => r.bench === b && r.ok);
    const names = [...new Set(mine.flatMap((r) => [...r.ratios.keys()]))];
    for (const name of names) {
      const vals = (side: string) => mine.filter((r) => r.side === side).map((r) => r.ratios.get(name)).filter((v): v is number => v !== undefined);
      const before = vals('before'), after = vals('after');
      const fmt = (xs: number[]) => (xs.length ? `${median(xs).toPrecision(4)} [${xs.map((x) => x.toPrecision(3)).join(', ')}]` : '-');
      const change = before.length && after.length ? (median(after) / median(before)).toFixed(3) : '-';
      const loads = mine.map((r) => r.load).filter((l) => Number.isFinite(l));
      rows.push([b, name, fmt(before), fmt(after), change, String(Math.min(before.length, after.length)),
        loads.length ? `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}` : '-']);
    }
    for (const r of runs.filter((x) => x.bench === b && !x.ok)) rows.push([b, `(pair ${r.pair} ${r.side} failed: see its log)`, '', '', '', '', '']);
  }
  console.log('\n| ' + rows[0]!.join(' | ') + ' |\n|' + rows[0]!.map(() => '---').join('|') + '|');
  for (const r of rows.slice(1)) console.log('| ' + r.join(' | ') + ' |');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
