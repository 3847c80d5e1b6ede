// Cron expressions, in UTC: five fields (minute hour day-of-month month day-of-week) or six with
// seconds first. Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a
// comma list of those; day-of-week 0-7 (0 and 7 are Sunday). As in Vixie cron, when both
// day-of-month and day-of-week are restricted a day matching either is due.
export interface Cron {
  text: string;
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  anyDay: boolean;
  anyWeekday: boolean;
}

const FIELDS = [
  ['second', 0, 59], ['minute', 0, 59], ['hour', 0, 23], ['day of month', 1, 31], ['month', 1, 12], ['day of week', 0, 7],
] as const;

function field(text: string, [name, lo, hi]: readonly [string, number, number], expr: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cron "${expr}": bad ${name} field "${text}"`);
    const step = m[4] ? Number(m[4]) : 1;
    let a = lo, b = hi;
    if (m[1] !== '*') { a = Number(m[2]); b = m[3] !== undefined ? Number(m[3]) : m[4] ? hi : a; }
    if (a < lo || b > hi || a > b || step < 1) throw new Error(`cron "${expr}": ${name} "${part}" is outside ${lo}-${hi}`);
    for (let v = a; v <= b; v += step) out.add(v);
  }
  return out;
}

export function parseCron(expr: string): Cron {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new Error(`cron "${expr}": expected 5 fields (minute hour day month weekday) or 6 (seconds first)`);
  const all = parts.length === 6 ? parts : ['0', ...parts];
  const [s, mi, h, d, mo, w] = all.map((p, i) => field(p, FIELDS[i]!, expr));
  if (w!.has(7)) w!.add(0);
  return {
    text: expr, seconds: s!, minutes: mi!, hours: h!, days: d!, months: mo!, weekdays: w!,
    anyDay: all[3] === '*', anyWeekday: all[5] === '*',
  };
}

function dayMatches(c: Cron, t: Date): boolean {
  const dom = c.days.has(t.getUTCDate()), dow = c.weekdays.has(t.getUTCDay());
  if (c.anyDay && c.anyWeekday) return true;
  if (c.anyDay) return dow;
  if (c.anyWeekday) return dom;
  return dom || dow;
}

/** The first due time strictly after `after`. */
export function nextAfter(c: Cron, after: Date): Date {
  const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  for (let guard = 0; guard < 500_000; guard++) {
    if (!c.months.has(t.getUTCMonth() + 1)) { t.setUTCMonth(t.getUTCMonth() + 1, 1); t.setUTCHours(0, 0, 0, 0); continue; }
    if (!dayMatches(c, t)) { t.setUTCDate(t.getUTCDate() + 1); t.setUTCHours(0, 0, 0, 0); continue; }
    if (!c.hours.has(t.getUTCHours())) { t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0); continue; }
    if (!c.minutes.has(t.getUTCMinutes())) { t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0); continue; }
    if (!c.seconds.has(t.getUTCSeconds())) { t.setUTCSeconds(t.getUTCSeconds() + 1, 0); continue; }
    return t;
  }
  throw new Error(`cron "${c.text}": no due time found (an impossible date such as 31 February?)`);
}

/** Every due time in (from, to]. */
export function dueBetween(c: Cron, from: Date, to: Date, limit = 10_000): Date[] {
  const out: Date[] = [];
  for (let t = nextAfter(c, from); t.getTime() <= to.getTime() && out.length < limit; t = nextAfter(c, t)) out.push(t);
  return out;
}
