// PASS / MISS lines for the benchmark targets, printed after each side-by-side table so
// a reader sees at once whether a figure meets its target (and by how much it misses).
export interface Check { what: string; value: number; target: number; cmp: '<=' | '<' | '>=' }

export function verdict(title: string, checks: Check[]): boolean {
  let all = true;
  console.log(`\n-- targets: ${title}`);
  for (const c of checks) {
    const ok = c.cmp === '<=' ? c.value <= c.target : c.cmp === '<' ? c.value < c.target : c.value >= c.target;
    all &&= ok;
    console.log(`${ok ? 'PASS' : 'MISS'}  ${c.what}: ${fmt(c.value)} (target ${c.cmp} ${fmt(c.target)})`);
  }
  console.log(`${all ? 'PASS' : 'MISS'}  overall`);
  console.log('JSON ' + JSON.stringify({ bench: title, verdict: all ? 'PASS' : 'MISS', checks: checks.map((c) => ({ ...c })) }));
  return all;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 || v === 0 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}
